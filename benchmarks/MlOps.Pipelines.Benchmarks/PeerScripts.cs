using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
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
        var exitCode = Run(program, arguments, out var standardOutput, out var errors);
        output = standardOutput + errors;
        return exitCode;
    }

    /// <summary>
    /// Runs a peer script that prints its result as one JSON line, last on standard output (warnings from numpy,
    /// XGBoost or scikit-learn go to standard error and are ignored); throws with everything it printed when it fails.
    /// </summary>
    public static JsonDocument RunJson(string program, string[] arguments)
    {
        if (Run(program, arguments, out var output, out var errors) != 0 || output.Trim().Split('\n')[^1] is not ['{', ..] line)
            throw new InvalidOperationException($"{string.Join(' ', arguments.Take(1))} failed:\n{output}{errors}");
        return JsonDocument.Parse(line);
    }

    static int Run(string program, string[] arguments, out string output, out string errors)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var errorText = process.StandardError.ReadToEndAsync(); // drained alongside, so a chatty peer cannot block
        output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        errors = errorText.Result;
        return process.ExitCode;
    }

    /// <summary>Debian's Python, where the peers' packages (python3-numpy, python3-xgboost, python3-sklearn) install.</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>Whether <see cref="Python"/> exists and can import <paramref name="module"/>.</summary>
    public static bool CanImport(string module) => File.Exists(Python) && Run(Python, ["-c", "import " + module], out _) == 0;

    /// <summary>
    /// A fresh temporary folder for a peer script (the caller deletes it): X_train.f32 and X_test.f32 row-major, one
    /// float32 file per entry of <paramref name="labels"/>, and header.json with the row and feature counts plus
    /// <paramref name="header"/>.
    /// </summary>
    public static string WriteData(string name, FeatureMatrix train, FeatureMatrix test, IReadOnlyDictionary<string, float[]> labels, Dictionary<string, object> header)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"mlops-{name}-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        WriteRowMajor(Path.Combine(folder, "X_train.f32"), train);
        WriteRowMajor(Path.Combine(folder, "X_test.f32"), test);
        foreach (var (file, values) in labels) File.WriteAllBytes(Path.Combine(folder, file), MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        header["train_rows"] = train.Rows;
        header["test_rows"] = test.Rows;
        header["features"] = train.Columns;
        File.WriteAllText(Path.Combine(folder, "header.json"), JsonSerializer.Serialize(header));
        return folder;
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
