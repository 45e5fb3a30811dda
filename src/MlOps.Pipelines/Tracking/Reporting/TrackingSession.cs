using MlOps.Pipelines.Caching;
using MlOps.Pipelines.Discovery;
using MlOps.Pipelines.Execution;
using MlOps.Pipelines.Output;

namespace MlOps.Pipelines.Tracking;

/// <summary>
/// Reports one invocation: per pipeline an MLflow experiment and a parent run (standard tags, every non-secret
/// parameter), per target a child run (the parameters it read, its metrics, status, timing, cache status, dataset
/// inputs, artefacts). Everything is appended to a <see cref="TrackingJournal"/> first and sent by a background
/// sender, so a slow or unreachable server never holds up or fails the build: what it could not take stays in the
/// journal for the next run or <c>./build.sh SyncRuns</c>.
/// </summary>
internal sealed class TrackingSession : IAsyncDisposable
{
    /// <summary>How long the end of a build waits for the sender to deliver what is left (unless tracking is required).</summary>
    static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(10);

    readonly TrackingJournal _journal;
    readonly ITrackingStore _store;
    readonly ConsoleOutput _output;
    readonly bool _required;
    readonly string _journalRoot;
    readonly SemaphoreSlim _wake = new(0);
    readonly SemaphoreSlim _progress = new(0);
    readonly CancellationTokenSource _stop = new();
    readonly Task _sender;
    readonly Dictionary<PipelineModel, string> _parents = [];
    readonly TimeProvider _clock;
    IReadOnlyList<Tag> _childTags = [];
    volatile TrackingException? _offline;

    TrackingSession(ITrackingStore store, TrackingJournal journal, string journalRoot, ConsoleOutput output, bool required, TimeProvider clock)
    {
        _store = store;
        _journal = journal;
        _journalRoot = journalRoot;
        _output = output;
        _required = required;
        _clock = clock;
        _sender = Task.Run(SendAsync);
    }

    public string Location => _store.Location;

    /// <summary>Why the sender stopped (the store unreachable, the credentials refused), or null while it is sending.</summary>
    internal TrackingException? Offline => _offline;

    /// <summary>Starts reporting invocation <paramref name="invocation"/> and the parent run of each pipeline in the plan.</summary>
    public static TrackingSession Start(ITrackingStore store, AbsolutePath root, string invocation, IReadOnlyList<TargetModel> plan,
        IReadOnlyDictionary<PipelineModel, IReadOnlyList<Param>> parameters, IReadOnlyList<Tag> standardTags, ConsoleOutput output, bool required,
        TimeProvider? clock = null)
    {
        var journalRoot = JournalRoot(root);
        var session = new TrackingSession(store, TrackingJournal.Create(journalRoot, invocation, store.Location), journalRoot, output, required, clock ?? TimeProvider.System);
        session._childTags = [.. standardTags.Where(t => ChildTags.Contains(t.Key))];
        foreach (var pipeline in plan.Select(t => t.Pipeline).Distinct())
        {
            var key = $"{invocation}/{pipeline.Name}";
            session._parents[pipeline] = key;
            session.Append(new StartRun(key, pipeline.Name, $"{pipeline.Name} {invocation}", session.Now, [.. standardTags, new Tag("mlflow.runName", $"{pipeline.Name} {invocation}")], null));
            session.AppendBatches(key, [], parameters.GetValueOrDefault(pipeline) ?? [], []);
        }
        return session;
    }

    public static string JournalRoot(AbsolutePath root) => root / ".nuke" / "tracking";

    /// <summary>The standard tags a child run carries too, so the UI shows who ran it, how and from which commit.</summary>
    static readonly HashSet<string> ChildTags = new(StringComparer.Ordinal)
    {
        RunOwner.UserTag, "mlflow.source.name", "mlflow.source.type", "mlflow.source.git.commit", "mlflow.source.git.branch", "mlflow.source.git.repoURL",
    };

    internal TimeProvider Clock => _clock;

    internal long Now => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The child run of a target that starts now: created at once, so the UI shows it running.</summary>
    public TargetTracker Begin(TargetModel target)
    {
        var tracker = new TargetTracker(this, ChildKey(target), _parents[target.Pipeline], target, Now);
        tracker.Start(_childTags);
        return tracker;
    }

    string ChildKey(TargetModel target) => $"{_parents[target.Pipeline]}/{target.Name}";

    /// <summary>
    /// A target restored from the cache gets no child run of its own (it would copy its producer's run, and unchanged
    /// builds would fill the UI with such copies): the parent run names the run that produced it instead, as tag
    /// <c>mlops.cached.&lt;target&gt;</c> = that run's id (resolved when sent), and <c>...run_key</c> = its run key.
    /// </summary>
    public void Record(TargetRun run)
    {
        if (run.Trace is not { } trace) return;
        var parent = _parents[run.Target.Pipeline];
        var producer = $"{trace.RunId}/{run.Target.Pipeline.Name}/{run.Target.Name}";
        var tag = CachedTag(run.Target.Name);
        AppendBatches(parent, [], [], [new Tag(tag + ".run_key", producer)]);
        Append(new TagRunId(parent, tag, run.Target.Pipeline.Name, producer));
    }

    /// <summary>The parent run's tag naming the run that produced a cached target's outputs.</summary>
    internal static string CachedTag(string target) => "mlops.cached." + target;

    /// <summary>Closes each pipeline's parent run: failed when a target failed, killed when cancelled; the lock file as its artefact.</summary>
    public void End(IReadOnlyList<TargetRun> runs, bool cancelled)
    {
        foreach (var (pipeline, key) in _parents)
        {
            var mine = runs.Where(r => r.Target.Pipeline == pipeline).ToList();
            if (File.Exists(LockFile.PathFor(pipeline))) Append(new LogArtifact(key, Keep(LockFile.PathFor(pipeline)), Path.GetFileName(LockFile.PathFor(pipeline))));
            var status = cancelled ? RunStatus.Killed : mine.Any(r => r.Status == TargetStatus.Failed) ? RunStatus.Failed : RunStatus.Finished;
            Append(new EndRun(key, status, Now));
        }
    }

    internal TrackingOperation Append(TrackingOperation operation)
    {
        // Secrets are masked here, before the journal: every report reaches the store through it.
        var numbered = _journal.Append(_output.Masker.Mask(operation));
        _wake.Release();
        return numbered;
    }

    internal ITrackingStore Store => _store;

    /// <summary>Waits until the store has acknowledged operation <paramref name="sequence"/>; false when the session is offline or the limit passed.</summary>
    internal async Task<bool> WaitAcknowledgedAsync(long sequence, TimeSpan limit, CancellationToken cancellation)
    {
        var deadline = _clock.GetUtcNow() + limit;
        while (_journal.State.Acknowledged < sequence)
        {
            if (_offline is not null || _sender.IsCompleted) return false;
            var left = deadline - _clock.GetUtcNow();
            if (left <= TimeSpan.Zero || !await _progress.WaitAsync(left, cancellation)) return _journal.State.Acknowledged >= sequence;
        }
        return true;
    }

    /// <summary>The version a registration created, once acknowledged.</summary>
    internal string? RegisteredVersion(long sequence) => _journal.State.Versions.GetValueOrDefault(sequence);

    /// <summary>Appends metrics, params and tags in log-batch calls within MLflow's limits.</summary>
    internal void AppendBatches(string runKey, IReadOnlyList<Metric> metrics, IReadOnlyList<Param> parameters, IReadOnlyList<Tag> tags)
    {
        const int maxMetrics = 1000, maxParams = 100, maxTags = 100;
        int m = 0, p = 0, t = 0;
        while (m < metrics.Count || p < parameters.Count || t < tags.Count)
        {
            var takeParams = Math.Min(maxParams, parameters.Count - p);
            var takeTags = Math.Min(maxTags, tags.Count - t);
            var takeMetrics = Math.Min(Math.Min(maxMetrics, 1000 - takeParams - takeTags), metrics.Count - m);
            Append(new LogBatch(runKey, [.. metrics.Skip(m).Take(takeMetrics)], [.. parameters.Skip(p).Take(takeParams)], [.. tags.Skip(t).Take(takeTags)]));
            m += takeMetrics;
            p += takeParams;
            t += takeTags;
        }
    }

    internal string Keep(string path) => _journal.Keep(path);

    /// <summary>
    /// Sends journals in order: those earlier runs left behind for this store (the runs of killed builds closed as
    /// KILLED first), then this one as it grows. Journals of other stores are left for SyncRuns. The first transient
    /// failure (after the store's own retries), or anything unexpected, takes the session offline: the rest waits
    /// in the journal. An earlier journal that cannot be read is skipped with a warning.
    /// </summary>
    async Task SendAsync()
    {
        var replayer = new JournalReplayer(_store, () => _progress.Release());
        try
        {
            var elsewhere = new SortedSet<string>(StringComparer.Ordinal);
            // Not this build's own journal: it is being appended to, and is sent below.
            foreach (var earlier in TrackingJournal.Pending(_journalRoot, except: _journal.Id))
            {
                try
                {
                    earlier.CloseIfAbandoned();
                    if (!BelongsTo(earlier, _store))
                    {
                        elsewhere.Add(earlier.Store!);
                        continue;
                    }
                    await replayer.ReplayAsync(earlier, _stop.Token);
                    earlier.DeleteIfDone();
                }
                catch (Exception e) when (e is not (OperationCanceledException or TrackingException { Transient: true } or TrackingException { CredentialsRefused: true }))
                {
                    // Another build's journal (killed mid-write, or being deleted by its own build): it stays
                    // for SyncRuns, and this build's own runs are still sent.
                    _output.Log(LogLevel.Warning, $"tracking: journal {earlier.Id} left by an earlier build could not be replayed ({e.Message}); it is kept for ./build.sh SyncRuns.");
                }
            }
            if (elsewhere.Count > 0)
                _output.Line($"tracking: journals of earlier builds for {string.Join(", ", elsewhere)} are kept for ./build.sh SyncRuns (this build reports to {_store.Location}).", Style.Dim);
            while (true)
            {
                await _wake.WaitAsync(_stop.Token);
                await replayer.ReplayAsync(_journal, _stop.Token);
                if (_journal.State.Closed && _journal.Drained) return;
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // Tracking never fails the build (unless required): what was not sent stays in the journal.
            _offline = e is TrackingException { Transient: true } or TrackingException { CredentialsRefused: true } ? (TrackingException)e
                : new TrackingException("INTERNAL_ERROR", $"{e.GetType().Name}: {e.Message}", inner: e);
        }
    }

    /// <summary>Ends the session: closes the journal, lets the sender finish (briefly, or fully when tracking is required) and says where the runs are.</summary>
    public async ValueTask DisposeAsync()
    {
        _journal.Close();
        _wake.Release();
        var finished = await Task.WhenAny(_sender, Task.Delay(_required ? Timeout.InfiniteTimeSpan : DrainLimit)) == _sender;
        if (!finished) await _stop.CancelAsync();
        await _sender;
        var waiting = _journal.Waiting;
        if (_journal.DeleteIfDone() || waiting == 0)
        {
            if (_journal.State.Rejected.Count > 0)
                foreach (var (sequence, error) in _journal.State.Rejected)
                    _output.Log(LogLevel.Warning, $"tracking: {_store.Location} refused operation {sequence}: {error}");
            _output.Line($"Tracked in {_store.Location}.", Style.Dim);
            return;
        }
        var why = _offline switch
        {
            { CredentialsRefused: true } e => CredentialsRefused(_store, e),
            { Transient: true } e => $"the tracking store at {_store.Location} is unreachable ({e.Message})",
            { } e => $"sending to the tracking store at {_store.Location} stopped ({e.Message})",
            null when _store.LastFailure is { } failure => $"the tracking store at {_store.Location} is unreachable ({failure}; still retrying when the build ended)",
            null => $"the tracking store at {_store.Location} is slow",
        };
        var message = $"{why}; {waiting} operation(s) kept in {Path.GetRelativePath(Directory.GetCurrentDirectory(), _journal.Folder)}: ./build.sh SyncRuns sends them (the next build tries too).";
        if (_required) throw new TrackingException(_offline?.ErrorCode ?? TrackingException.DeadlineExceeded, "--tracking-required: " + message);
        _output.Log(LogLevel.Warning, message);
    }

    /// <summary>Whether <paramref name="journal"/> reports to <paramref name="store"/> (a journal from before stores were recorded goes to the current one).</summary>
    internal static bool BelongsTo(TrackingJournal journal, ITrackingStore store) => journal.Store is null || journal.Store == store.Location;

    /// <summary>
    /// Replays every journal left behind (<c>./build.sh SyncRuns</c>), each to its own store: <paramref name="current"/>
    /// (the environment's, with its credentials) for its journals, <paramref name="open"/> for the others. Runs of
    /// killed builds are closed as KILLED first. Returns how many journals are still not fully sent.
    /// </summary>
    public static async Task<int> SyncAsync(ITrackingStore current, Func<string, ITrackingStore> open, AbsolutePath root, ConsoleOutput output, CancellationToken cancellation)
    {
        var left = 0;
        var journals = TrackingJournal.Pending(JournalRoot(root));
        if (journals.Count == 0) output.Line($"Nothing to send: every run is in {current.Location}.");
        var stores = new Dictionary<string, ITrackingStore>(StringComparer.Ordinal);
        try
        {
            foreach (var journal in journals)
            {
                var killed = journal.CloseIfAbandoned();
                var store = BelongsTo(journal, current) ? current : stores.TryGetValue(journal.Store!, out var known) ? known : stores[journal.Store!] = open(journal.Store!);
                try
                {
                    var sent = await new JournalReplayer(store).ReplayAsync(journal, cancellation);
                    output.Line($"{journal.Id}: {sent} operation(s) sent to {store.Location}" + (killed ? " (its build was killed: its open runs are ended as KILLED)" : "")
                        + (journal.State.Rejected.Count > 0 ? $", {journal.State.Rejected.Count} refused by it" : ""));
                    foreach (var (sequence, error) in journal.State.Rejected) output.Log(LogLevel.Warning, $"{journal.Id}: operation {sequence} refused: {error}");
                    if (!journal.DeleteIfDone() && !journal.State.Closed)
                        output.Line($"{journal.Id}: still open (its build is running); sent what it holds so far", Style.Dim);
                }
                catch (TrackingException e) when (e.Transient || e.CredentialsRefused)
                {
                    left++;
                    var problem = e.CredentialsRefused ? CredentialsRefused(store, e) : e.Message;
                    var hint = store == current ? "" : $" It belongs to {store.Location}, not to this environment's store ({current.Location}), so it was sent without the environment's credentials; to send it with credentials, set MLFLOW_TRACKING_URI={store.Location} and that server's credentials, then run ./build.sh SyncRuns again.";
                    output.Log(LogLevel.Error, $"{journal.Id}: not sent to {store.Location} now: {problem}; {journal.Waiting} operation(s) still waiting.{hint}");
                }
            }
        }
        finally
        {
            foreach (var store in stores.Values) (store as IDisposable)?.Dispose();
        }
        return left;
    }

    /// <summary>Names the server and the status, never the credentials; says which variables SyncRuns reads.</summary>
    static string CredentialsRefused(ITrackingStore store, TrackingException e) =>
        $"the tracking server at {store.Location} refused the credentials (HTTP {e.HttpStatus} {e.ErrorCode}); set MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD";
}
