using MlOps.Pipelines.Tests.Tracking.Local;
using MlOps.Pipelines.Tracking;
using MlOps.Pipelines.Tracking.Local;

namespace MlOps.Pipelines.Tests.Tracking.Journal;

/// <summary>A tag naming another run by the store's id, which only the store knows: resolved when the journal is sent.</summary>
public sealed class RunLinks : IDisposable
{
    readonly TrackingFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    async Task<(TrackingJournal Journal, LocalTrackingStore Store)> Replay(params TrackingOperation[] operations)
    {
        var store = _folder.Open();
        var journal = TrackingJournal.Create(Path.Combine(_folder.Root, "..", "journals"), "inv-" + Guid.NewGuid().ToString("N")[..6], store.Location);
        foreach (var operation in operations) journal.Append(operation);
        await new JournalReplayer(store).ReplayAsync(journal, default);
        return (journal, store);
    }

    async Task<string> Tag(LocalTrackingStore store, string runId, string key) =>
        (await store.GetRunAsync(runId, default)).Tags.Single(t => t.Key == key).Value;

    [Fact]
    public async Task A_run_of_the_same_journal_is_named_by_the_id_the_store_gave_it()
    {
        var (journal, store) = await Replay(
            new StartRun("a", "P", "A", 1, [], null),
            new StartRun("b", "P", "B", 2, [], null),
            new TagRunId("b", "mlops.cached.Train", "P", "a"));

        Assert.Equal(journal.State.Runs["a"], await Tag(store, journal.State.Runs["b"], "mlops.cached.Train"));
    }

    [Fact]
    public async Task A_run_of_an_earlier_journal_is_found_by_its_run_key_in_the_experiment()
    {
        var (earlier, _) = await Replay(new StartRun("old/P/Train", "P", "Train", 1, [], null));
        var (journal, store) = await Replay(
            new StartRun("new/P", "P", "P new", 2, [], null),
            new TagRunId("new/P", "mlops.cached.Train", "P", "old/P/Train"));

        Assert.Equal(earlier.State.Runs["old/P/Train"], await Tag(store, journal.State.Runs["new/P"], "mlops.cached.Train"));
    }

    [Theory]
    [InlineData("P")] // the experiment exists, the run is not in it
    [InlineData("Q")] // no such experiment in this store
    public async Task A_run_the_store_does_not_hold_is_named_by_its_run_key_with_a_note(string experiment)
    {
        var (journal, store) = await Replay(
            new StartRun("new/P", "P", "P new", 2, [], null),
            new TagRunId("new/P", "mlops.cached.Train", experiment, "gone/P/Train"));

        Assert.Equal($"(not in {store.Location}: run key gone/P/Train)", await Tag(store, journal.State.Runs["new/P"], "mlops.cached.Train"));
    }
}
