using MlOps.Pipelines.Tracking.Local;
using MlOps.Pipelines.Tracking.Rest;
using System.Diagnostics;
using MlOps.Pipelines.Hosting;

namespace MlOps.Pipelines.Tracking;

/// <summary>Chooses the store as MLflow's client does, and gathers the facts every parent run is tagged with.</summary>
internal static class TrackingStores
{
    /// <summary>
    /// <c>MLFLOW_TRACKING_URI</c>: http(s) → the REST store; a path or <c>file:</c> URI → MLflow's local layout there;
    /// unset → <c>mlruns/</c> in the repository root. Other schemes (databases, Databricks) are not supported.
    /// </summary>
    public static ITrackingStore Open(HostEnvironment environment, AbsolutePath root)
    {
        var uri = environment.Variable("MLFLOW_TRACKING_URI");
        if (uri is null) return new LocalTrackingStore(root / "mlruns", TimeProvider.System);
        if (uri.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return RestTrackingStore.FromEnvironment(environment.Variable);
            }
            catch (TrackingException e)
            {
                throw new UsageException($"MLFLOW_TRACKING_URI={uri}: {e.Message}");
            }
        }
        if (uri.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
            return new LocalTrackingStore(new Uri(uri).LocalPath, TimeProvider.System);
        if (uri.Contains("://", StringComparison.Ordinal) || uri.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"MLFLOW_TRACKING_URI={uri}: only http(s) servers and local folders are supported; run an MLflow server in front of the database.");
        return new LocalTrackingStore(Path.GetFullPath(uri, environment.WorkingDirectory), TimeProvider.System);
    }

    /// <summary>MLflow's standard tags for a run of this invocation (user, source, git commit, branch, dirty flag).</summary>
    public static IReadOnlyList<Tag> StandardTags(HostEnvironment environment, AbsolutePath root, string invocation)
    {
        var tags = new List<Tag>
        {
            new("mlflow.user", environment.Variable("USER") ?? environment.Variable("USERNAME") ?? Environment.UserName),
            new("mlflow.source.name", invocation.Length > 0 ? "./build.sh " + invocation : "./build.sh"),
            new("mlflow.source.type", environment.GitHubActions ? "JOB" : "LOCAL"),
        };
        // One git process answers commit, branch and dirtiness (this runs at the start of every tracked build).
        if (Git(root, "status", "--porcelain=v2", "--branch") is { } status)
        {
            var lines = status.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            string? Header(string name) => lines.FirstOrDefault(l => l.StartsWith($"# branch.{name} ", StringComparison.Ordinal))?[$"# branch.{name} ".Length..];
            if (Header("oid") is { } commit && commit != "(initial)")
            {
                tags.Add(new Tag("mlflow.source.git.commit", commit));
                if (Header("head") is { } branch && branch != "(detached)") tags.Add(new Tag("mlflow.source.git.branch", branch));
                if (Git(root, "config", "--get", "remote.origin.url") is { Length: > 0 } remote) tags.Add(new Tag("mlflow.source.git.repoURL", remote));
                // Dirty when anything tracked or untracked (but not ignored) differs from the commit.
                tags.Add(new Tag("mlops.git.dirty", lines.Any(l => !l.StartsWith('#')) ? "true" : "false"));
            }
        }
        return tags;
    }

    static string? Git(string root, params string[] arguments)
    {
        try
        {
            var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = root };
            foreach (var argument in arguments) start.ArgumentList.Add(argument);
            using var process = Process.Start(start)!;
            var errors = process.StandardError.ReadToEndAsync(); // drained alongside, so a chatty git cannot block
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            errors.Wait();
            return process.ExitCode == 0 ? output.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no git on this machine
        }
    }
}
