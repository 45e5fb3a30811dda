using System.Formats.Tar;
using System.IO.Compression;
using MlOps.Pipelines;
using MlOps.Pipelines.ML.Data.DuckDb;

namespace MlOps.Pipelines.Examples;

// FetchFullData: the 3M flights behind the committed sample, from the npm package vega-datasets, converted once
// to the CSV layout of the sample so the same targets read it.
public sealed partial class FlightDelays
{
    const string DatasetsPackage = "vega-datasets@3.2.1";

    async Task FetchFullDataFile(TargetContext context)
    {
        if (File.Exists(FullDataFile))
        {
            context.Info($"{Display(FullDataFile)} is already here");
            return;
        }
        var scratch = Directory.CreateTempSubdirectory("flights-");
        try
        {
            context.Info($"npm pack {DatasetsPackage} (about 20 MB)");
            await context.RunAsync("npm", ["pack", "--silent", DatasetsPackage], scratch.FullName);
            var tarball = Directory.GetFiles(scratch.FullName, "*.tgz").Single();
            var parquet = Path.Combine(scratch.FullName, "flights-3m.parquet");
            ExtractEntry(tarball, "package/data/flights-3m.parquet", parquet);

            Directory.CreateDirectory(FullDataFile.Parent!);
            var partial = FullDataFile + ".partial";
            using (var duckDb = DuckDbConnection.OpenInMemory())
            {
                var rows = duckDb.ScalarInt64($"""
                    COPY (
                        SELECT strftime(date, '%Y-%m-%d %H:%M') AS date, delay, distance, origin, destination
                        FROM read_parquet({DuckDbConnection.Literal(parquet)}, file_row_number = true)
                        ORDER BY file_row_number
                    ) TO {DuckDbConnection.Literal(partial)} (HEADER, DELIMITER ',')
                    """);
                context.Info($"{rows:N0} flights converted");
            }
            File.Move(partial, FullDataFile, overwrite: true);
            context.Info($"written {Display(FullDataFile)}");
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    static void ExtractEntry(string tarball, string entryName, string destination)
    {
        using var gzip = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.Name != entryName) continue;
            entry.ExtractToFile(destination, overwrite: true);
            return;
        }
        throw new InvalidDataException($"{Path.GetFileName(tarball)} has no {entryName}.");
    }
}
