using System.Diagnostics;

namespace MlOps.Pipelines.Execution;

/// <summary>Runs a program, forwarding its output line by line, and turns a bad exit into a clear exception.</summary>
static class ProcessRunner
{
    public static async Task<int> RunAsync(string program, IEnumerable<string> arguments, string workingDirectory,
        Action<string> onLine, CancellationToken cancellation, bool throwOnFailure = true)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{program}'.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"Could not start '{program}': {e.Message}. Is it installed and on PATH?", e);
        }
        using var _ = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) onLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) onLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(cancellation);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        if (throwOnFailure && process.ExitCode != 0)
            throw new InvalidOperationException($"'{program} {string.Join(" ", start.ArgumentList)}' exited with code {process.ExitCode}.");
        return process.ExitCode;
    }
}
