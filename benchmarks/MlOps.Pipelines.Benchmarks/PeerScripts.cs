using System.Diagnostics;
using System.Runtime.InteropServices;
using MlOps.Pipelines.ML.Features;

/// <summary>Running the peer scripts in benchmarks/peers (Debian's /usr/bin/python3 with numpy, xgboost, scikit-learn).</summary>
static class PeerScripts
{
    /// <summary>benchmarks/peers/<paramref name="script"/>, found upwards from the program or the working folder; null when absent.</summary>
    public static string? FindScript(string script) => FindInRepository("benchmarks/peers/" + script);

    /// <summary>A file of the repository by its path from the root ('/'-separated), found upwards from the program or the working folder; null when absent.</summary>
    public static string? FindInRepository(string relativePath)
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var path = Path.Combine([directory.FullName, .. relativePath.Split('/')]);
                if (File.Exists(path)) return path;
            }
        return null;
    }

    /// <summary>Runs a program to its end; its standard output followed by its standard error, and its exit code.</summary>
    public static int Run(string program, string[] arguments, out string output)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync(); // drained alongside, so a chatty peer cannot block
        output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        output += errors.Result;
        return process.ExitCode;
    }

    /// <summary>Writes a matrix row after row as raw float32 (what numpy.fromfile(...).reshape(rows, columns) reads).</summary>
    public static void WriteRowMajor(string path, FeatureMatrix matrix)
    {
        using var file = File.Create(path);
        var buffer = new float[4096 * matrix.Columns];
        for (var start = 0; start < matrix.Rows; start += 4096)
        {
            var n = Math.Min(4096, matrix.Rows - start);
            for (var c = 0; c < matrix.Columns; c++)
            {
                var column = matrix.Column(c).Slice(start, n);
                for (var i = 0; i < n; i++) buffer[i * matrix.Columns + c] = column[i];
            }
            file.Write(MemoryMarshal.AsBytes(buffer.AsSpan(0, n * matrix.Columns)));
        }
    }

    public static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
