using System.Runtime.CompilerServices;

namespace MlOps.Pipelines.Tests;

/// <summary>
/// Compares text with a reviewed file under Snapshots/. With UPDATE_SNAPSHOTS=1 the file is rewritten instead;
/// review the diff before committing it.
/// </summary>
static class Snapshot
{
    public static void Match(string actual, string name, [CallerFilePath] string callerFile = "")
    {
        var path = Path.Combine(Path.GetDirectoryName(callerFile)!, "Snapshots", name);
        if (Environment.GetEnvironmentVariable("UPDATE_SNAPSHOTS") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"Snapshot {name} does not exist; run the tests once with UPDATE_SNAPSHOTS=1 and review it.");
        Assert.Equal(File.ReadAllText(path), actual);
    }
}
