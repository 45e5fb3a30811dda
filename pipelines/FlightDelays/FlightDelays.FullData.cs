using System.Formats.Tar;
using System.IO.Compression;
using MlOps.Pipelines;

namespace MlOps.Pipelines.Examples;

// FetchFullData: the 3M flights behind the committed sample, from the npm package vega-datasets, extracted once
// into .nuke/data/ (never committed); Validate reads Parquet as well as CSV.
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
            Directory.CreateDirectory(FullDataFile.Parent!);
            var partial = FullDataFile + ".partial";
            ExtractEntry(tarball, "package/data/flights-3m.parquet", partial);
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
