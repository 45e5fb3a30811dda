using System.Security.Cryptography;
using System.Text;

namespace MlOps.Pipelines.Tests;

/// <summary>A secret reaches no channel the build writes to: streams, tracking store and journal, cache, lock file.</summary>
public sealed class SecretChannels : IDisposable
{
    const string Token = "k3y-Of-The-Registry";
    readonly Harness _harness = new();

    public SecretChannels() => _harness.Environment["TOKEN"] = Token;

    public void Dispose() => _harness.Dispose();

    sealed class Leaky : RecordingPipeline
    {
        [Parameter("Registry token")][Secret] readonly string? Token;
        [Parameter("Fail after leaking")] readonly bool Fail;

        readonly Artifact<string> Receipt = Artifact.Text("receipt");
        readonly Artifact<string> Copy = Artifact.Text("copy");

        public Target Publish => _ => _
            .Produces(Receipt)
            .Executes(async context =>
            {
                Mark(context);
                Console.Error.WriteLine($"stderr: {Token}");
                await context.RunAsync("sh", ["-c", "echo \"process out: $1\"; echo \"process err: $1\" >&2", "sh", Token!]);
                context.LogMetric($"latency-{Token}", 1);
                // A receipt that depends on the secret, so the cache key must too.
                context.Save(Receipt, $"published with a token of {Token!.Length} characters");
                if (Fail) throw new InvalidOperationException($"the registry refused token {Token}");
            });

        public Target ReadsByPath => _ => _
            .Produces(Copy)
            .Executes(context =>
            {
                Mark(context);
                context.Save(Copy, File.ReadAllText(context.Input(context.RootDirectory / $"input-{Token}.txt")));
            });
    }

    RunResult Build(params string[] args) => _harness.Run(new PipelineHost().Add<Leaky>(), args);

    /// <summary>Every file under the repository root whose name or content holds <paramref name="text"/>.</summary>
    IReadOnlyList<string> FilesHolding(string text) =>
        [.. Directory.EnumerateFiles(_harness.Root, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetRelativePath(_harness.Root, f).Contains(text, StringComparison.Ordinal)
                || File.ReadAllText(f).Contains(text, StringComparison.Ordinal))
            .Where(f => !Path.GetFileName(f).StartsWith("input-", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(_harness.Root, f))];

    [Fact]
    public void What_a_target_writes_to_standard_error_and_what_its_processes_print_are_masked()
    {
        var result = Build("Publish");
        Assert.True(result.ExitCode == 0, result.All);
        Assert.DoesNotContain(Token, result.All);
        Assert.Contains("stderr: ***", result.Out);
        Assert.Contains("process out: ***", result.Out);
        Assert.Contains("process err: ***", result.Out);
    }

    [Fact]
    public void A_failure_message_holding_a_secret_is_masked_in_the_note_the_tracking_store_and_every_file()
    {
        var result = Build("Publish", "--fail");
        Assert.Equal(1, result.ExitCode);
        Assert.DoesNotContain(Token, result.All);
        Assert.Contains("the registry refused token ***", result.Out);
        Assert.Empty(FilesHolding(Token));
        var note = Directory.GetFiles(Path.Combine(_harness.Root, "mlruns"), "mlops.note", SearchOption.AllDirectories).Single();
        Assert.Equal("the registry refused token ***", File.ReadAllText(note));
        // A metric key keeps to MLflow's alphabet, so its batch is still accepted.
        Assert.Single(Directory.GetFiles(Path.Combine(_harness.Root, "mlruns"), "latency-masked", SearchOption.AllDirectories));
    }

    [Fact]
    public void A_secret_enters_the_cache_key_as_a_keyed_hash_that_no_file_can_confirm()
    {
        Assert.Equal(["Publish"], RecordingPipeline.Ran(Build("Publish")));
        var plainHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Token)));
        Assert.Empty(FilesHolding(plainHash));
        Assert.Empty(FilesHolding(Token));
        var key = Path.Combine(_harness.Root, ".nuke", "cache", "secret.key");
        Assert.Equal(32, File.ReadAllBytes(key).Length);
        var entry = Directory.GetFiles(Path.Combine(_harness.Root, ".nuke", "cache", "entries"), "*.json", SearchOption.AllDirectories).Single();
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(File.ReadAllBytes(key), Encoding.UTF8.GetBytes(Token)));
        Assert.Contains("hmac-sha256:" + expected, File.ReadAllText(entry));
        Assert.Contains("\"Token\": \"(secret)\"", File.ReadAllText(Path.Combine(_harness.Root, ".nuke", "Leaky.lock.json")));

        // Still a key: the same secret hits, another one misses.
        Assert.Empty(RecordingPipeline.Ran(Build("Publish")));
        _harness.Environment["TOKEN"] = Token + "-rotated";
        Assert.Equal(["Publish"], RecordingPipeline.Ran(Build("Publish")));
    }

    [Fact]
    public void The_lock_file_of_a_target_that_reads_a_secret_is_the_same_in_two_clones()
    {
        using var clone = new Harness();
        clone.Environment["TOKEN"] = Token;
        Assert.Equal(0, Build("Publish").ExitCode);
        Assert.Equal(0, clone.Run(new PipelineHost().Add<Leaky>(), "Publish").ExitCode);
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(_harness.Root, ".nuke", "cache", "secret.key")),
            File.ReadAllBytes(Path.Combine(clone.Root, ".nuke", "cache", "secret.key")));
        Assert.Equal(File.ReadAllText(Path.Combine(_harness.Root, ".nuke", "Leaky.lock.json")),
            File.ReadAllText(Path.Combine(clone.Root, ".nuke", "Leaky.lock.json")));
    }

    [Fact]
    public void A_target_whose_cache_entry_would_hold_a_secret_is_not_cached()
    {
        File.WriteAllText(Path.Combine(_harness.Root, $"input-{Token}.txt"), "data");
        var result = Build("ReadsByPath");
        Assert.True(result.ExitCode == 0, result.All);
        Assert.Contains("warning: ReadsByPath is not cached: its cache entry would contain a secret", result.Out);
        Assert.Empty(FilesHolding(Token));
        Assert.Equal("data", File.ReadAllText(Path.Combine(_harness.Root, "artifacts", "Leaky", "copy.txt")));
        Assert.Equal(["ReadsByPath"], RecordingPipeline.Ran(Build("ReadsByPath")));
    }

    [Fact]
    public void A_secret_too_short_to_mask_is_a_usage_error()
    {
        _harness.Environment["TOKEN"] = "abc";
        var result = Build("Publish");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Parameter 'Token' (from environment TOKEN): a secret must be at least 4 characters long", result.Error);
        Assert.Empty(RecordingPipeline.Ran(result));
    }

    [Fact]
    public void Each_line_of_a_secret_of_several_lines_is_masked()
    {
        var masker = new Output.SecretMasker();
        masker.Add("first-line\nsecond-line\nab");
        Assert.Equal("*** and *** and ***, ab stays", masker.Apply("first-line\nsecond-line\nab and first-line and second-line, ab stays"));
    }
}
