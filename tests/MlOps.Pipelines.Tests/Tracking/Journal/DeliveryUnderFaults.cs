using MlOps.Pipelines.Tests.Tracking.Rest;
using MlOps.Pipelines.Tracking;

namespace MlOps.Pipelines.Tests.Tracking.Journal;

/// <summary>
/// One journal with every kind of operation, sent to a server that loses answers, answers 503 (before or after
/// applying), resets connections and rate-limits: the server ends up holding exactly what a fault-free server holds.
/// </summary>
public sealed class DeliveryUnderFaults : IDisposable
{
    const long T0 = RestFixture.T0;
    readonly string _root = Directory.CreateTempSubdirectory("delivery-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>The same operations, with the same journal id, in a folder of its own.</summary>
    TrackingJournal Journal(string folder)
    {
        var root = Path.Combine(_root, folder);
        var journal = TrackingJournal.Create(root, "20260101-000000-abcd");
        var files = Directory.CreateDirectory(Path.Combine(root, "package")).FullName;
        File.WriteAllText(Path.Combine(files, "MLmodel"), "flavors: {}\n");
        File.WriteAllBytes(Path.Combine(files, "model.bin"), [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 7))]);
        var lockFile = Path.Combine(root, "P.lock.json");
        File.WriteAllText(lockFile, "{\"targets\": {}}\n");

        const string parent = "inv/P", train = "inv/P/Train", evaluate = "inv/P/Evaluate";
        journal.Append(new StartRun(parent, "P", "P inv", T0, [new Tag("mlflow.user", "me"), new Tag("mlflow.runName", "P inv")], null));
        journal.Append(new LogBatch(parent, [], [new Param("Rounds", "10"), new Param("Eta", "0.1")], []));
        journal.Append(new StartRun(train, "P", "Train", T0 + 1, [new Tag("mlflow.runName", "Train")], parent));
        journal.Append(new LogBatch(train, [.. Enumerable.Range(0, 900).Select(i => new Metric("loss", 1.0 / (i + 1), T0 + i, i))], [new Param("Rounds", "10")], []));
        // Identical points in one batch are two points, not one.
        journal.Append(new LogBatch(train, [new Metric("lr", 0.1, T0, 0), new Metric("lr", 0.1, T0, 0), new Metric("lr", 0.05, T0 + 1, 1)], [], [new Tag("mlops.cache", "miss")]));
        journal.Append(new LogInputs(train, [new DatasetInput(new Dataset("flights", "d1g3st", "local", "{\"uri\": \"data/flights.csv\"}", null, null), [new Tag("mlflow.data.context", "training")])]));
        foreach (var file in Directory.GetFiles(files).Order(StringComparer.Ordinal))
            journal.Append(new LogArtifact(train, journal.Keep(file), "model/" + Path.GetFileName(file)));
        journal.Append(new RegisterVersion("flights", train, "model", [new Tag("mlops.package_sha256", "abc")], ["champion"], FolderContent.Sha256(files)));
        journal.Append(new EndRun(train, RunStatus.Finished, T0 + 1000));
        journal.Append(new StartRun(evaluate, "P", "Evaluate", T0 + 1001, [new Tag("mlflow.runName", "Evaluate")], parent));
        journal.Append(new LogBatch(evaluate, [new Metric("auc", 0.75, T0 + 1002, 0)], [], [new Tag("mlops.cache", "miss")]));
        journal.Append(new EndRun(evaluate, RunStatus.Failed, T0 + 1003));
        journal.Append(new SetAlias("flights", "challenger", "1"));
        journal.Append(new DeleteAlias("flights", "challenger"));
        journal.Append(new SetAlias("flights", "previous", "1"));
        journal.Append(new LogArtifact(parent, journal.Keep(lockFile), "P.lock.json"));
        journal.Append(new EndRun(parent, RunStatus.Failed, T0 + 1004));
        journal.Close();
        return journal;
    }

    async Task<string> DeliverAsync(string folder, FaultMix? mix, int seed, Action<FakeMlflowServer, RestFixture>? check = null)
    {
        await using var fixture = await RestFixture.StartAsync();
        if (mix is not null) fixture.Server.InjectRandomFaults(mix, seed);
        var journal = Journal(folder);

        await new JournalReplayer(fixture.Store).ReplayAsync(journal, CancellationToken.None);

        Assert.True(journal.Drained);
        Assert.Empty(journal.State.Rejected);
        check?.Invoke(fixture.Server, fixture);
        return fixture.Server.DumpState();
    }

    static FaultMix Mix(string name) => name switch
    {
        "lost" => new FaultMix(LostResponses: 0.2),
        "503" => new FaultMix(Unavailable: 0.2),
        "reset" => new FaultMix(Resets: 0.2),
        "429" => new FaultMix(TooManyRequests: 0.2),
        _ => new FaultMix(LostResponses: 0.2, Unavailable: 0.2, Resets: 0.1, TooManyRequests: 0.1),
    };

    [Theory]
    [InlineData("lost")]
    [InlineData("503")]
    [InlineData("reset")]
    [InlineData("429")]
    [InlineData("all")]
    public async Task The_server_ends_up_in_the_state_of_a_fault_free_delivery(string faults)
    {
        var mix = Mix(faults);
        var expected = await DeliverAsync("clean", null, 0);
        Assert.Contains("run <inv/P/Train> metric lr step=0", expected, StringComparison.Ordinal);

        foreach (var seed in new[] { 1, 2, 3, 4, 5 })
        {
            var actual = await DeliverAsync($"{faults}-{seed}", mix, seed, (server, fixture) =>
            {
                // The faults did strike (else this test proves nothing), and Retry-After was waited for.
                Assert.True(server.RandomFaults.Values.Sum() >= 2, $"{mix}, seed {seed}: only {server.RandomFaults.Values.Sum()} faults");
                if (mix.TooManyRequests > 0) Assert.Contains(TimeSpan.FromSeconds(2), fixture.Delays);
            });
            Assert.True(expected == actual, $"{mix}, seed {seed}:\n{Diff(expected, actual)}");
        }
    }

    static string Diff(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        return string.Join("\n", e.Except(a).Select(l => "- " + l).Concat(a.Except(e).Select(l => "+ " + l))
            .Append($"({e.Length} lines expected, {a.Length} actual)"));
    }
}
