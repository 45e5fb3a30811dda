namespace MlOps.Pipelines.Tests;

public sealed class CacheInvalidation : IDisposable
{
    readonly Harness _harness = new();
    readonly string _input;

    public CacheInvalidation()
    {
        _input = Path.Combine(_harness.Root, "numbers.txt");
        File.WriteAllText(_input, "1 2 3");
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

    IReadOnlyList<string> Ran(params string[] args) => RecordingPipeline.Ran(Run(args));

    string Artifact(string file) => File.ReadAllText(Path.Combine(_harness.Root, "artifacts", "Incremental", file));

    [Fact]
    public void A_second_run_with_nothing_changed_restores_every_target()
    {
        Assert.Equal(["Produce", "Total", "Describe"], Ran());
        var second = Run();
        Assert.Empty(RecordingPipeline.Ran(second));
        Assert.Matches(@"Produce\s+Cached\s+–\s+from run \d{8}-\d{6}-[0-9a-f]{6}", second.Out);
        Assert.Matches(@"Describe\s+Cached", second.Out);
        Assert.Equal("sum: 12", Artifact("description.txt"));
    }

    [Fact]
    public void Restored_artifacts_come_back_when_the_workspace_copy_is_deleted()
    {
        Run();
        Directory.Delete(Path.Combine(_harness.Root, "artifacts"), recursive: true);
        Assert.Empty(Ran());
        Assert.Equal("sum: 12", Artifact("description.txt"));
        Assert.Equal("SUM: 12", Artifact("folder/sub/b.txt"));
        Assert.Equal("2\n4\n6", Artifact("numbers.txt"));
    }

    [Fact]
    public void Changing_a_parameter_a_target_reads_reruns_it_and_what_consumes_its_changed_output()
    {
        Run();
        var result = Run("Describe", "--scale", "3");
        Assert.Equal(["Produce", "Total", "Describe"], RecordingPipeline.Ran(result));
        Assert.Matches(@"Produce\s+Succeeded\s+\S+ s\s+parameter Scale changed 2 → 3", result.Out);
        Assert.Matches(@"Total\s+Succeeded\s+\S+ s\s+artifact numbers changed", result.Out);
        Assert.Equal("sum: 18", Artifact("description.txt"));
    }

    [Fact]
    public void Changing_a_parameter_only_a_downstream_target_reads_reruns_only_that_target()
    {
        Run();
        Assert.Equal(["Describe"], Ran("Describe", "--prefix", "total"));
        Assert.Equal("total: 12", Artifact("description.txt"));
    }

    [Fact]
    public void Changing_a_parameter_no_target_reads_reruns_nothing()
    {
        Run();
        Assert.Empty(Ran("Describe", "--unused", "5"));
    }

    [Fact]
    public void Changing_an_input_file_reruns_its_reader_and_downstream()
    {
        Run();
        File.WriteAllText(_input, "1 2 3 4");
        var result = Run();
        Assert.Equal(["Produce", "Total", "Describe"], RecordingPipeline.Ran(result));
        Assert.Matches(@"Produce\s+Succeeded\s+\S+ s\s+numbers\.txt changed", result.Out);
        Assert.Equal("sum: 20", Artifact("description.txt"));
    }

    [Fact]
    public void An_upstream_rerun_with_identical_output_does_not_rerun_downstream()
    {
        Run();
        File.WriteAllText(_input, "1  2\n3\n"); // different bytes, same numbers
        Assert.Equal(["Produce"], Ran());
    }

    [Fact]
    public void A_consumed_folder_read_from_the_workspace_has_the_hash_its_producer_recorded()
    {
        Assert.Equal(["Produce", "Total", "Describe", "Inspect"], Ran("Inspect"));
        Assert.Equal("a.txt,sub/b.txt", Artifact("listing.txt"));
        // With Describe skipped, Inspect's input is hashed from artifacts/ and must still match.
        var dry = Run("Inspect", "--skip", "Describe", "--dry-run").Out;
        Assert.True(Ran("Inspect", "--skip", "Describe").Count == 0, dry);
        File.WriteAllText(Path.Combine(_harness.Root, "artifacts", "Incremental", "folder", "c.txt"), "new");
        Assert.Equal(["Inspect"], Ran("Inspect", "--skip", "Describe"));
    }

    [Fact]
    public void Changing_an_unrelated_file_reruns_nothing()
    {
        Run();
        File.WriteAllText(Path.Combine(_harness.Root, "unrelated.txt"), "x");
        Assert.Empty(Ran());
    }

    [Fact]
    public void Changing_the_version_reruns_the_target()
    {
        Run();
        Incremental.DescribeVersion = "2";
        var result = Run();
        Assert.Equal(["Describe"], RecordingPipeline.Ran(result));
        Assert.Matches(@"Describe\s+Succeeded\s+\S+ s\s+version changed 1 → 2", result.Out);
    }

    [Fact]
    public void Earlier_results_stay_available_when_a_parameter_changes_back()
    {
        Run();
        Run("Describe", "--scale", "3");
        Assert.Empty(Ran("Describe", "--scale", "2"));
        Assert.Equal("sum: 12", Artifact("description.txt"));
    }

    [Fact]
    public void A_damaged_cache_object_is_detected_evicted_and_rebuilt()
    {
        Run();
        var objects = Directory.GetFiles(Path.Combine(_harness.Root, ".nuke", "cache", "objects"), "*", SearchOption.AllDirectories);
        var sumObject = objects.Single(f => File.ReadAllText(f) == "12");
        // Damage it through a new file (as a disk error would), keeping the workspace copy intact.
        File.Delete(sumObject);
        File.WriteAllText(sumObject, "13");

        var result = Run();
        Assert.Contains("warning: the cache entry of Total had a damaged object; it was evicted and Total runs again", result.Out);
        Assert.Equal(["Total"], RecordingPipeline.Ran(result));
        Assert.Equal("12", Artifact("sum.txt"));
        Assert.Empty(Ran());
    }

    [Fact]
    public void Force_reruns_the_named_target_and_everything_after_it()
    {
        Run();
        Assert.Equal(["Total", "Describe"], Ran("Describe", "--force", "Total"));
        Assert.Equal(["Produce", "Total", "Describe"], Ran("Describe", "--force"));
    }

    [Fact]
    public void No_cache_runs_everything_and_still_stores_the_results()
    {
        Run();
        Assert.Equal(["Produce", "Total", "Describe"], Ran("Describe", "--no-cache"));
        Assert.Empty(Ran());
    }

    [Fact]
    public void A_target_without_artifacts_or_with_cached_false_always_runs()
    {
        Run("Side");
        Assert.Equal(["Side"], Ran("Side"));
    }

    [Fact]
    public void A_target_that_does_not_save_a_declared_artifact_fails_clearly()
    {
        var result = _harness.Run(new PipelineHost().Add<Incremental>(), "Forgetful");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Target 'Forgetful' declares .Produces(unsaved) but did not save it; call ctx.Save(...) or write it at ctx.PathOf(...).", result.Out);
        Assert.False(File.Exists(Path.Combine(_harness.Root, "artifacts", "Incremental", "unsaved.txt")));
    }

    [Fact]
    public void Loading_an_artifact_that_was_not_declared_fails_clearly()
    {
        var result = _harness.Run(new PipelineHost().Add<Incremental>(), "Sneaky");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Target 'Sneaky' reads artifact 'sum' but does not declare .Consumes(sum).", result.Out);
    }

    [Fact]
    public void A_failed_target_leaves_no_artifact_and_no_cache_entry()
    {
        File.WriteAllText(_input, "1 x 3");
        var result = _harness.Run(new PipelineHost().Add<Incremental>(), "Describe");
        Assert.Equal(1, result.ExitCode);
        Assert.False(Directory.Exists(Path.Combine(_harness.Root, "artifacts", "Incremental")));
        Assert.False(Directory.Exists(Path.Combine(_harness.Root, ".nuke", "cache", "entries", "Incremental.Produce")));
        var staging = Path.Combine(_harness.Root, ".nuke", "temp", "staging");
        Assert.True(!Directory.Exists(staging) || Directory.GetFileSystemEntries(staging).Length == 0);
    }

    [Fact]
    public void Dry_run_says_what_would_run_and_why_without_running()
    {
        Run();
        File.WriteAllText(_input, "5");
        var result = Run("Describe", "Side", "--dry-run", "--prefix", "total");
        Assert.Empty(RecordingPipeline.Ran(result));
        Assert.Matches(@"Produce\s+run\s+numbers\.txt changed", result.Out);
        Assert.Matches(@"Total\s+run\?\s+consumes numbers from Produce, which will run", result.Out);
        Assert.Matches(@"Side\s+run\s+Cached\(false\): always runs", result.Out);
        Assert.Equal("sum: 12", Artifact("description.txt"));
    }

    [Fact]
    public void Dry_run_names_the_parameter_with_its_old_and_new_value()
    {
        Run();
        var result = Run("Describe", "--dry-run", "--prefix", "total");
        Assert.Matches(@"Produce\s+cached\s+from run", result.Out);
        Assert.Matches(@"Describe\s+run\s+parameter Prefix changed sum → total", result.Out);
    }

    [Fact]
    public void The_lock_file_records_keys_reads_and_outputs_and_is_stable()
    {
        Run();
        var path = Path.Combine(_harness.Root, ".nuke", "Incremental.lock.json");
        var first = File.ReadAllText(path);
        Assert.Contains("\"Scale\": \"2\"", first);
        Assert.Contains("\"numbers.txt\": ", first);
        Assert.Contains("\"numbers\": ", first);
        Assert.DoesNotMatch(@"\d{8}-\d{6}", first); // no run ids or times: same inputs, same bytes
        Run("Describe", "--no-cache");
        Assert.Equal(first, File.ReadAllText(path));
    }

    [Fact]
    public void Continue_skips_what_succeeded_in_the_previous_run_even_without_the_cache()
    {
        var failed = _harness.Run(new PipelineHost().Add<Incremental>(), "Describe", "--no-cache", "--prefix", "fail");
        Assert.Equal(1, failed.ExitCode);
        Assert.Equal(["Produce", "Total", "Describe"], RecordingPipeline.Ran(failed));

        var resumed = Run("Describe", "--no-cache", "--continue");
        Assert.Equal(["Describe"], RecordingPipeline.Ran(resumed));
        Assert.Matches(@"Produce\s+Skipped\s+–\s+succeeded in the previous run \(--continue\)", resumed.Out);
        Assert.Equal("sum: 12", Artifact("description.txt"));
    }

    [Fact]
    public void Cache_info_and_prune_report_and_free_space()
    {
        Run();
        var info = Run("--cache-info");
        Assert.Matches(@"entries:\s+4 \(targets: 3\)|entries:\s+3 \(targets: 3\)", info.Out);
        Assert.Contains("last run: ", info.Out);
        Assert.Contains("hit rate 0%", info.Out);
        Run();
        Assert.Contains("3 of 3 cacheable targets restored from the cache (hit rate 100%)", Run("--cache-info").Out);

        var prune = Run("--cache-prune", "0");
        Assert.Matches(@"removed 3 entries and \d+ objects", prune.Out);
        Assert.Equal(["Produce", "Total", "Describe"], Ran());
    }
}
