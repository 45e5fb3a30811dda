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

    /// <summary>
    /// The store a journal recorded (<see cref="ITrackingStore.Location"/>: a server URI or an mlruns folder), for
    /// SyncRuns when it is not the environment's. A server gets the environment's HTTP settings (retries, timeouts,
    /// TLS) but none of its credentials: those belong to the environment's MLFLOW_TRACKING_URI, not to this server.
    /// </summary>
    public static ITrackingStore OpenRecorded(string location, HostEnvironment environment)
    {
        if (!location.StartsWith("http://", StringComparison.OrdinalIgnoreCase) && !location.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            return new LocalTrackingStore(location, TimeProvider.System);
        string[] credentials = [RestTrackingOptions.UsernameVariable, RestTrackingOptions.PasswordVariable, RestTrackingOptions.TokenVariable, RestTrackingOptions.ClientCertVariable];
        return RestTrackingStore.FromEnvironment(name =>
            name == RestTrackingOptions.TrackingUriVariable ? location : credentials.Contains(name) ? null : environment.Variable(name));
    }

    /// <summary>
    /// MLflow's standard tags for a run of this invocation (user, source, git commit, branch, dirty flag). Changes to
    /// <paramref name="ownFiles"/> (the pipelines' lock files, which every build rewrites) do not make the tree dirty.
    /// </summary>
    public static IReadOnlyList<Tag> StandardTags(HostEnvironment environment, AbsolutePath root, string invocation, IReadOnlyCollection<string>? ownFiles = null)
    {
        var tags = new List<Tag>
        {
            new(RunOwner.UserTag, environment.Variable("USER") ?? environment.Variable("USERNAME") ?? Environment.UserName),
            new("mlflow.source.name", invocation.Length > 0 ? "./build.sh " + invocation : "./build.sh"),
            new("mlflow.source.type", environment.GitHubActions ? "JOB" : "LOCAL"),
        };
        // One git process answers commit, branch and dirtiness (this runs at the start of every tracked build).
        // -z: entries end with NUL and paths are not quoted, so a path with spaces or non-ASCII compares as it is.
        if (Git(root, "status", "--porcelain=v2", "--branch", "-z") is { } status)
        {
            var entries = status.Split('\0', StringSplitOptions.RemoveEmptyEntries);
            string? Header(string name) => entries.FirstOrDefault(l => l.StartsWith($"# branch.{name} ", StringComparison.Ordinal))?[$"# branch.{name} ".Length..];
            if (Header("oid") is { } commit && commit != "(initial)")
            {
                tags.Add(new Tag("mlflow.source.git.commit", commit));
                if (Header("head") is { } branch && branch != "(detached)") tags.Add(new Tag("mlflow.source.git.branch", branch));
                if (Git(root, "config", "--get", "remote.origin.url") is { Length: > 0 } remote) tags.Add(new Tag("mlflow.source.git.repoURL", remote));
                // Dirty when anything tracked or untracked (but not ignored) differs from the commit, but for the build's own files.
                var own = (ownFiles ?? []).Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')).ToHashSet(StringComparer.Ordinal);
                tags.Add(new Tag("mlops.git.dirty", ChangedPaths(entries).Any(p => !own.Contains(p)) ? "true" : "false"));
            }
        }
        return tags;
    }

    /// <summary>
    /// The paths of <c>git status --porcelain=v2 -z</c> entries: "1 XY sub mH mI mW hH hI path" (8 fields before the
    /// path), "2 ... X&lt;score&gt; path" then the original path as its own entry (9 fields), "u ..." (10 fields),
    /// "? path"; headers ("# ...") and ignored entries ("! path") are not changes.
    /// </summary>
    internal static IEnumerable<string> ChangedPaths(IReadOnlyList<string> entries)
    {
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            var fieldsBeforePath = entry.Length < 2 || entry[1] != ' ' ? -1 : entry[0] switch { '1' => 8, '2' => 9, 'u' => 10, '?' => 1, _ => -1 };
            if (fieldsBeforePath < 0) continue;
            var parts = entry.Split(' ', fieldsBeforePath + 1);
            if (parts.Length == fieldsBeforePath + 1) yield return parts[^1];
            if (entry[0] == '2' && i + 1 < entries.Count) yield return entries[++i]; // a rename's original path
        }
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
