using System.Collections;

namespace MlOps.Pipelines.Hosting;

/// <summary>Everything the host takes from its process, so tests can run it in memory.</summary>
sealed record HostEnvironment(
    TextWriter Out,
    TextWriter Error,
    IReadOnlyDictionary<string, string> Variables,
    string WorkingDirectory,
    bool IsTerminal,
    CancellationToken Cancellation)
{
    public static HostEnvironment FromProcess(CancellationToken cancellation)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
            variables[(string)entry.Key] = (string?)entry.Value ?? "";
        return new HostEnvironment(Console.Out, Console.Error, variables, Environment.CurrentDirectory,
            !Console.IsOutputRedirected, cancellation);
    }

    public string? Variable(string name) => Variables.TryGetValue(name, out var value) && value.Length > 0 ? value : null;

    /// <summary>Colours only on a terminal, never with <c>NO_COLOR</c> (https://no-color.org) or <c>TERM=dumb</c>.</summary>
    public bool Colors => IsTerminal && Variable("NO_COLOR") is null && Variable("TERM") != "dumb";

    public bool GitHubActions => Variable("GITHUB_ACTIONS") == "true";
}
