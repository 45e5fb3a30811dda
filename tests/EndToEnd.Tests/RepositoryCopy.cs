using System.Diagnostics;

namespace EndToEnd.Tests;

/// <summary>What one ./build.sh process printed and returned.</summary>
sealed record BuildResult(int ExitCode, string Out, string Error)
{
    public string All => Out + Error;

    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Out}\n--- stderr ---\n{Error}";
}

/// <summary>
/// A copy of the working tree (tracked and untracked files, without what .gitignore excludes) in a temporary
/// folder, where ./build.sh runs as a user would run it on a fresh clone.
/// </summary>
sealed class RepositoryCopy : IDisposable
{
    public RepositoryCopy()
    {
        var source = FindRepositoryRoot();
        Root = Directory.CreateTempSubdirectory("mlops-e2e-").FullName;
        var files = Run("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], source).Out
            .Split('\0', StringSplitOptions.RemoveEmptyEntries);
        foreach (var file in files)
        {
            var from = Path.Combine(source, file);
            if (!File.Exists(from)) continue; // deleted in the working tree but not yet in the index
            var to = Path.Combine(Root, file);
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(from, to);
        }
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(Path.Combine(Root, "build.sh"), File.GetUnixFileMode(Path.Combine(source, "build.sh")));
    }

    public string Root { get; }

    public string PathOf(string relative) => Path.Combine(Root, relative);

    public BuildResult Build(params string[] args) => Build(new Dictionary<string, string>(), args);

    public BuildResult Build(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Run(Path.Combine(Root, "build.sh"), args, Root, environment);

    /// <summary>Starts ./build.sh without waiting, for tests that signal it.</summary>
    public Process Start(params string[] args)
    {
        var start = StartInfo(Path.Combine(Root, "build.sh"), args, Root, new Dictionary<string, string>());
        return Process.Start(start)!;
    }

    public static BuildResult Run(string program, IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var process = Process.Start(StartInfo(program, args, workingDirectory, environment ?? new Dictionary<string, string>()))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return new BuildResult(process.ExitCode, output.Result, error.Result);
    }

    static ProcessStartInfo StartInfo(string program, IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        // The outer test run must not leak into the build under test.
        foreach (var name in new[] { "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "DATA", "MIN_AUC", "TARGET" }) start.Environment.Remove(name);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        return start;
    }

    static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "build.sh")) && Directory.Exists(Path.Combine(directory.FullName, ".nuke")))
                return directory.FullName;
        throw new InvalidOperationException($"No repository root (with build.sh and .nuke/) above {AppContext.BaseDirectory}.");
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}
