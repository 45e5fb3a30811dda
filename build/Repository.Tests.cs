using System.Globalization;
using System.Xml.Linq;
using MlOps.Pipelines;

namespace Build;

// Test: every test project in turn, counted from their TRX reports so the total is exact.
sealed partial class Repository
{
    async Task RunTests(TargetContext context)
    {
        var resultsDirectory = RootDirectory / ".nuke" / "temp" / "test-results";
        if (Directory.Exists(resultsDirectory)) Directory.Delete(resultsDirectory, recursive: true);
        var summaryFile = RootDirectory / ".nuke" / "temp" / "test-summary.txt";
        File.Delete(summaryFile);

        var projects = Directory.GetFiles(RootDirectory / "tests", "*.csproj", SearchOption.AllDirectories)
            .OrderBy(p => p, StringComparer.Ordinal).ToList();
        int passed = 0, failed = 0;
        foreach (var project in projects)
        {
            var name = Path.GetFileNameWithoutExtension(project);
            context.Info($"dotnet test {Path.GetRelativePath(RootDirectory, project)}");
            var exitCode = await context.RunAsync("dotnet",
                ["test", project, "-c", "Release", "--nologo", "--logger", $"trx;LogFileName={name}.trx", "--results-directory", resultsDirectory],
                allowFailure: true);
            var (projectPassed, projectFailed) = ReadCounts(resultsDirectory / $"{name}.trx");
            // A crash or a compile error leaves no report (or an incomplete one): count the project as one failure.
            if (exitCode != 0 && projectFailed == 0) projectFailed = 1;
            context.Info($"{name}: {projectPassed} passed, {projectFailed} failed");
            passed += projectPassed;
            failed += projectFailed;
        }

        var line = $"{passed} passed, {failed} failed";
        await File.WriteAllTextAsync(summaryFile, line + "\n");
        context.Info(line);
        if (failed > 0) throw new InvalidOperationException($"{failed} test(s) failed.");
    }

    static (int Passed, int Failed) ReadCounts(string trxPath)
    {
        if (!File.Exists(trxPath)) return (0, 0);
        var counters = XDocument.Load(trxPath).Descendants().FirstOrDefault(e => e.Name.LocalName == "Counters");
        int Count(string attribute) => int.Parse(counters?.Attribute(attribute)?.Value ?? "0", CultureInfo.InvariantCulture);
        return (Count("passed"), Count("failed") + Count("error") + Count("timeout") + Count("aborted"));
    }
}
