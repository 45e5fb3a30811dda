using System.Text.RegularExpressions;
using MlOps.Pipelines.Hosting;

namespace MlOps.Pipelines.Tests;

/// <summary>What one in-memory run of the host printed and returned.</summary>
sealed record RunResult(int ExitCode, string Out, string Error)
{
    public string All => Out + Error;

    /// <summary>Output with durations replaced, for snapshots.</summary>
    public string Normalized => Regex.Replace(Out, @"\d+\.\d\d s", "#.## s");
}

/// <summary>Runs a <see cref="PipelineHost"/> in memory inside a temporary repository root.</summary>
sealed partial class Harness : IDisposable
{
    public Harness()
    {
        Root = Path.Combine(Path.GetTempPath(), "mlops-tests-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path.Combine(Root, ".nuke"));
    }

    public string Root { get; }

    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    public bool IsTerminal { get; set; }

    public string NukePath(string name) => Path.Combine(Root, ".nuke", name);

    public void WriteParameters(string json, string? profile = null) =>
        File.WriteAllText(NukePath(profile is null ? "parameters.json" : $"parameters.{profile}.json"), json);

    public RunResult Run(PipelineHost host, params string[] args) => RunAsync(host, CancellationToken.None, args).GetAwaiter().GetResult();

    public Task<RunResult> RunAsync(PipelineHost host, CancellationToken cancellation, params string[] args) =>
        RunAsync(host, new StringWriter { NewLine = "\n" }, cancellation, args);

    /// <summary>A run whose standard output is <paramref name="output"/>, so a test can watch it while the run goes on.</summary>
    public async Task<RunResult> RunAsync(PipelineHost host, StringWriter output, CancellationToken cancellation, params string[] args)
    {
        var error = new StringWriter { NewLine = "\n" };
        var environment = new HostEnvironment(output, error, Environment, Root, IsTerminal, cancellation);
        var exitCode = await host.RunAsync(args, environment);
        return new RunResult(exitCode, output.ToString(), error.ToString());
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}
