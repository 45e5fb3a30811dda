using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using MlOps.Pipelines;

namespace Build;

// Benchmark: wall-clock figures of whole ./build.sh invocations, written to docs/benchmarks.md.
sealed partial class Repository
{
    [Parameter("Repetitions of each timed command in Benchmark")]
    readonly int BenchmarkRuns = 20;

    async Task RunBenchmarks(TargetContext context)
    {
        var buildScript = RootDirectory / "build.sh";
        var rows = new List<(string Command, string What, double[] Seconds, string Goal)>();

        async Task Measure(string arguments, string what, string goal, int runs)
        {
            await TimeAsync(buildScript, arguments, context); // warm-up: compile if needed, fill the OS cache
            var seconds = new double[runs];
            for (var i = 0; i < runs; i++) seconds[i] = await TimeAsync(buildScript, arguments, context);
            rows.Add(($"./build.sh {arguments}".TrimEnd(), what, seconds, goal));
            context.Info($"{what}: median {Median(seconds) * 1000:F0} ms over {runs} runs");
        }

        await Measure("--help", "Warm start: help with nothing changed", "< 300 ms", BenchmarkRuns);
        await Measure("", "No-op rerun of the example pipeline: every cacheable target restored", "< 500 ms", BenchmarkRuns);
        await Measure("Evaluate --no-cache --verbosity quiet", "Example pipeline on the 200k sample, validate → evaluate, nothing cached", "", Math.Max(3, BenchmarkRuns / 5));

        // The cache's file work, measured in-process by benchmarks/MlOps.Pipelines.Benchmarks.
        var project = RootDirectory / "benchmarks" / "MlOps.Pipelines.Benchmarks";
        await context.RunAsync("dotnet", ["build", project, "-c", "Release", "--nologo", "-v", "q"]);
        var micro = new StringBuilder();
        await ProcessOutput("dotnet", ["run", "--no-build", "--project", project, "-c", "Release"], micro, context);
        var figures = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, double>>(micro.ToString().Trim().Split('\n')[^1])!;
        const string microCommand = "dotnet run --project benchmarks/MlOps.Pipelines.Benchmarks -c Release";
        rows.Add((microCommand, "First SHA-256 of a 1 GiB input file (in the page cache)", [figures["hash_1gib_first_seconds"]], "≥ 1 GB/s (< 1074 ms)"));
        rows.Add((microCommand, "Re-check of that unchanged file (median of 1000)", [figures["recheck_1gib_unchanged_seconds"]], "< 1 ms"));
        rows.Add((microCommand, "Restore of a 100 MiB artefact, first (reads it once to verify)", [figures["restore_100mib_first_seconds"]], ""));
        rows.Add((microCommand, "Restore of a 100 MiB artefact (median of 19 more)", [figures["restore_100mib_seconds"]], "< 50 ms"));
        rows.Add((microCommand, $"Table binary format: save ({Milliseconds(figures["table_format_save_1m_x24_seconds"])}) + load ({Milliseconds(figures["table_format_load_1m_x24_seconds"])}) of 1M rows × 24 columns, 180 MB, medians of 5",
            [figures["table_format_save_load_1m_x24_seconds"]], "< 200 ms"));
        rows.Add((microCommand, $"Validate 1M rows × 24 columns against {figures["validation_checks"]:F0} checks (the same checks as one DuckDB SQL query: {Milliseconds(figures["validate_1m_rows_duckdb_sql_seconds"])})",
            [figures["validate_1m_rows_seconds"]], "at least as fast as SQL"));
        foreach (var format in new[] { "parquet", "csv" })
        {
            var intoTable = figures[$"read_{format}_1m_x24_into_table_seconds"];
            var alone = figures[$"read_{format}_1m_x24_duckdb_alone_seconds"];
            rows.Add((microCommand, $"Read 1M × 24 {format} into a Table (DuckDB alone into its own table: {Milliseconds(alone)}; overhead {(intoTable / alone - 1) * 100:F0}%)", [intoTable], "overhead ≤ 20%"));
        }

        var text = new StringBuilder();
        text.Append("# Benchmarks\n\n");
        text.Append("Produced by `./build.sh Benchmark` (wall clock of whole `./build.sh` processes, each after one warm-up run).\n\n");
        text.Append($"Machine: {Machine()}.\n\n");
        var table = new StringBuilder("| command | what | median | min | max | runs | goal |\n| --- | --- | ---: | ---: | ---: | ---: | --- |\n");
        foreach (var (command, what, seconds, goal) in rows)
            table.Append(CultureInfo.InvariantCulture, $"| `{command}` | {what} | {Milliseconds(Median(seconds))} | {Milliseconds(seconds.Min())} | {Milliseconds(seconds.Max())} | {seconds.Length} | {goal} |\n");
        text.Append(table);
        var path = RootDirectory / "docs" / "benchmarks.md";
        Directory.CreateDirectory(path.Parent!);
        await File.WriteAllTextAsync(path, text.ToString());
        await ReplaceReadmeTable(table.ToString());
        context.Info($"written {path.RelativeTo(RootDirectory)} and the table in README.md");
    }

    /// <summary>Keeps README.md's benchmark table equal to the latest measurement.</summary>
    async Task ReplaceReadmeTable(string table)
    {
        const string start = "<!-- benchmarks:start -->", end = "<!-- benchmarks:end -->";
        var readme = RootDirectory / "README.md";
        var text = await File.ReadAllTextAsync(readme);
        var from = text.IndexOf(start, StringComparison.Ordinal);
        var to = text.IndexOf(end, StringComparison.Ordinal);
        if (from < 0 || to < from) throw new InvalidDataException($"README.md has no {start} ... {end} section for the benchmark table.");
        await File.WriteAllTextAsync(readme, text[..(from + start.Length)] + "\n" + table + text[to..]);
    }

    static async Task ProcessOutput(string program, string[] arguments, StringBuilder output, TargetContext context)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        output.Append(await process.StandardOutput.ReadToEndAsync(context.CancellationToken));
        await process.WaitForExitAsync(context.CancellationToken);
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(" ", arguments)} exited with {process.ExitCode}.");
    }

    static async Task<double> TimeAsync(string script, string arguments, TargetContext context)
    {
        var start = new ProcessStartInfo(script) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)) start.ArgumentList.Add(argument);
        var stopwatch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(context.CancellationToken);
        var errors = process.StandardError.ReadToEndAsync(context.CancellationToken);
        await process.WaitForExitAsync(context.CancellationToken);
        var elapsed = stopwatch.Elapsed.TotalSeconds;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"./build.sh {arguments} exited with {process.ExitCode}:\n{await output}{await errors}");
        return elapsed;
    }

    static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    static string Milliseconds(double seconds) => seconds >= 0.01
        ? (seconds * 1000).ToString("F0", CultureInfo.InvariantCulture) + " ms"
        : (seconds * 1000).ToString("0.###", CultureInfo.InvariantCulture) + " ms";

    static string Machine()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        return $"{Environment.ProcessorCount} cores{(cpu is null ? "" : $" ({cpu})")}, {RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }
}
