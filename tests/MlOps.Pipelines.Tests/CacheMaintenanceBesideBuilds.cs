using System.Text.Json.Nodes;
using MlOps.Pipelines.Caching;

namespace MlOps.Pipelines.Tests;

/// <summary>Pruning beside a running build, damaged entries and objects, and artefact folders replaced in one step.</summary>
public sealed class CacheMaintenanceBesideBuilds : IDisposable
{
    readonly Harness _harness = new();

    public CacheMaintenanceBesideBuilds()
    {
        File.WriteAllText(Path.Combine(_harness.Root, "numbers.txt"), "1 2 3");
        _harness.WriteParameters($$"""{ "Input": "numbers.txt" }""");
        Incremental.DescribeVersion = "1";
    }

    public void Dispose() => _harness.Dispose();

    RunResult Run(params string[] args)
    {
        var result = _harness.Run(new PipelineHost().Add<Incremental>(), args.Length == 0 ? ["Describe"] : args);
        Assert.True(result.ExitCode == 0, result.All);
        return result;
    }

    string EntriesOf(string target) => Path.Combine(_harness.Root, ".nuke", "cache", "entries", "Incremental." + target);

    /// <summary>A pipeline whose one target waits, while holding the build's locks, until the test lets it go.</summary>
    sealed class Held : RecordingPipeline
    {
        public static TaskCompletionSource Started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public static TaskCompletionSource Release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        readonly Artifact<string> Stored = Artifact.Text("stored");

        public Target Store => _ => _.Produces(Stored).Executes(context => context.Save(Stored, "stored by the build"));

        public Target Hold => _ => _.DependsOn(Store).Cached(false).Executes(async () =>
        {
            Started.SetResult();
            await Release.Task;
        });
    }

    /// <summary>Standard output that completes <see cref="Seen"/> once a line containing the awaited text is written.</summary>
    sealed class WatchedWriter(string awaited) : StringWriter
    {
        public TaskCompletionSource Seen { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value?.Contains(awaited, StringComparison.Ordinal) == true) Seen.TrySetResult();
        }
    }

    [Fact]
    public async Task Prune_waits_for_a_running_build_and_keeps_what_it_stored()
    {
        File.Delete(_harness.NukePath("parameters.json")); // Incremental's, unknown to Held
        var limit = TimeSpan.FromSeconds(60);
        var build = Task.Run(() => _harness.RunAsync(new PipelineHost().Add<Held>(), CancellationToken.None, "Hold"));
        await Held.Started.Task.WaitAsync(limit);

        var pruneOutput = new WatchedWriter("waiting for the builds using the cache to finish");
        var prune = Task.Run(() => _harness.RunAsync(new PipelineHost().Add<Held>(), pruneOutput, CancellationToken.None, "--cache-prune", "1GB"));
        await pruneOutput.Seen.Task.WaitAsync(limit);
        Assert.False(prune.IsCompleted);

        Held.Release.SetResult();
        var built = await build.WaitAsync(limit);
        Assert.True(built.ExitCode == 0, built.All);
        var pruned = await prune.WaitAsync(limit);
        Assert.True(pruned.ExitCode == 0, pruned.All);
        Assert.Contains("removed 0 entries and 0 objects", pruned.Out);
        var again = _harness.Run(new PipelineHost().Add<Held>(), "Store");
        Assert.Contains("Store cached", again.Out);
    }

    public static TheoryData<string, string> Damages => new()
    {
        { "empty", "not valid JSON" },
        { "truncated", "not valid JSON" },
        { "null", "fields are missing" },
        { "no outputs", "fields are missing" },
        { "other target", "it belongs to target Incremental:Total" },
        { "edited parameter", "its content does not match its name" },
    };

    static string Damage(string text, string damage)
    {
        if (damage == "empty") return "";
        if (damage == "truncated") return text[..(text.Length / 2)];
        if (damage == "null") return "null";
        var json = JsonNode.Parse(text)!.AsObject();
        switch (damage)
        {
            case "no outputs": json.Remove("outputs"); break;
            case "other target": json["target"] = "Incremental:Total"; break;
            case "edited parameter": json["parameters"]!["Scale"] = "3"; break;
        }
        return json.ToJsonString();
    }

    [Theory]
    [MemberData(nameof(Damages))]
    public void A_damaged_entry_file_is_named_in_a_warning_evicted_and_its_target_reruns(string damage, string reason)
    {
        Run("Produce");
        var entry = Directory.GetFiles(EntriesOf("Produce")).Single();
        File.WriteAllText(entry, Damage(File.ReadAllText(entry), damage));

        var result = Run("Produce", "--verbosity", "verbose");
        var relative = Path.GetRelativePath(_harness.Root, entry);
        Assert.Contains($"warning: cache entry {relative} is damaged ({reason}", result.Out);
        Assert.Contains("runs because: cache entry was damaged", result.Out);
        Assert.Equal(["Produce"], RecordingPipeline.Ran(result));
        Assert.Equal(entry, Directory.GetFiles(EntriesOf("Produce")).Single());
        Assert.Empty(RecordingPipeline.Ran(Run("Produce")));
    }

    [Fact]
    public void A_damaged_entry_beside_a_sound_one_is_evicted_while_the_sound_one_hits()
    {
        Run("Produce", "--scale", "3");
        var damaged = Directory.GetFiles(EntriesOf("Produce")).Single();
        Run("Produce");
        File.WriteAllText(damaged, "{");

        var result = Run("Produce", "--scale", "2");
        Assert.Contains($"warning: cache entry {Path.GetRelativePath(_harness.Root, damaged)} is damaged (not valid JSON", result.Out);
        Assert.Empty(RecordingPipeline.Ran(result));
        Assert.Single(Directory.GetFiles(EntriesOf("Produce")));
    }

    [Fact]
    public void A_missing_object_of_a_folder_artefact_evicts_the_entry_and_reruns_its_target()
    {
        Run();
        var objects = Directory.GetFiles(Path.Combine(_harness.Root, ".nuke", "cache", "objects"), "*", SearchOption.AllDirectories);
        File.Delete(objects.Single(f => File.ReadAllText(f) == "SUM: 12"));
        Directory.Delete(Path.Combine(_harness.Root, "artifacts", "Incremental", "folder"), recursive: true);

        var result = Run();
        Assert.Contains("warning: the cache entry of Describe had a damaged object; it was evicted and Describe runs again", result.Out);
        Assert.Equal(["Describe"], RecordingPipeline.Ran(result));
        Assert.Equal("SUM: 12", File.ReadAllText(Path.Combine(_harness.Root, "artifacts", "Incremental", "folder", "sub", "b.txt")));
        Assert.Empty(RecordingPipeline.Ran(Run()));
    }

    [Fact]
    public async Task Restoring_a_folder_over_another_never_leaves_it_missing()
    {
        // One-step replacement needs renameat2; elsewhere the old folder is moved aside first.
        if (!OperatingSystem.IsLinux()) return;
        var root = _harness.Root;
        var store = new ObjectStore(Path.Combine(root, "objects"), new FileHasher(Path.Combine(root, "hashes.tsv")));
        string Folder(string name)
        {
            var folder = Path.Combine(root, name);
            Directory.CreateDirectory(folder);
            for (var i = 0; i < 200; i++) File.WriteAllText(Path.Combine(folder, $"part-{i:000}.txt"), $"{name} {i}");
            File.WriteAllText(Path.Combine(folder, "complete"), name);
            return store.Put(folder, isDirectory: true);
        }
        var (first, second) = (Folder("first"), Folder("second"));
        var destination = Path.Combine(root, "artifacts", "model");
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        Assert.True(store.TryRestore(first, destination, isDirectory: true));

        using var stop = new CancellationTokenSource();
        var observed = 0;
        var missing = 0;
        var watcher = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                observed++;
                if (!File.Exists(Path.Combine(destination, "complete"))) missing++;
            }
        });
        for (var i = 0; i < 40; i++) Assert.True(store.TryRestore(i % 2 == 0 ? second : first, destination, isDirectory: true));
        await stop.CancelAsync();
        await watcher;

        Assert.True(observed > 0);
        Assert.Equal(0, missing);
        Assert.Equal("first", File.ReadAllText(Path.Combine(destination, "complete")));
        Assert.Equal(["model"], Directory.GetFileSystemEntries(Path.GetDirectoryName(destination)!).Select(Path.GetFileName));
    }
}
