using System.Text.Json;
using System.Text.Json.Serialization;
using MlOps.Pipelines.Caching;

namespace MlOps.Pipelines.Tracking;

/// <summary>
/// The operations of one invocation, in order, on disk before anything is sent: <c>journal.jsonl</c> (one
/// operation a line, appended and flushed), <c>state.json</c> (the store it belongs to, how far that store has
/// acknowledged, and the ids it gave our runs; rewritten atomically), <c>files/</c> (artefacts waiting for upload)
/// and <c>writer.lock</c>, held by the build writing it until it closes the journal: the OS releases it when that
/// process dies, which is how a later build tells a killed build's journal from a running one. A journal that is
/// closed and fully acknowledged is deleted; anything else is replayed by the next run or <c>SyncRuns</c>, to its
/// own store only.
/// </summary>
internal sealed class TrackingJournal
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    readonly Lock _gate = new();
    long _last;
    FileStream? _writer;

    TrackingJournal(string folder, JournalState state, long last)
    {
        Folder = folder;
        State = state;
        _last = last;
    }

    public string Folder { get; }

    public string Id => Path.GetFileName(Folder);

    public JournalState State { get; private set; }

    string JournalFile => Path.Combine(Folder, "journal.jsonl");

    string StateFile => Path.Combine(Folder, "state.json");

    string WriterLockFile => Path.Combine(Folder, "writer.lock");

    /// <summary>The store this journal reports to (<see cref="ITrackingStore.Location"/>); null in journals written before stores were recorded.</summary>
    public string? Store => State.Store;

    /// <summary>A new, empty journal <paramref name="id"/> under <paramref name="root"/> for the store at <paramref name="store"/>, held by this process until <see cref="Close"/>.</summary>
    public static TrackingJournal Create(string root, string id, string? store = null)
    {
        var folder = Path.Combine(root, id);
        Directory.CreateDirectory(Path.Combine(folder, "files"));
        var journal = new TrackingJournal(folder, new JournalState { Store = store }, 0);
        // The writer's lock first, then the journal file: a folder with state.json always has both, so no one takes
        // a journal being created for an abandoned one.
        journal._writer = TryLock(journal.WriterLockFile) ?? throw new IOException($"The tracking journal {folder} is held by another process.");
        File.WriteAllText(journal.JournalFile, "");
        journal.SaveState(journal.State);
        return journal;
    }

    static FileStream? TryLock(string path)
    {
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// When the build that wrote this journal died before closing it (its writer lock is free), ends its runs that
    /// were still open as KILLED, at the journal's last write (never before a run's start), and closes the journal,
    /// so replaying it leaves no run RUNNING for ever. False when the journal is closed or its build still runs.
    /// </summary>
    public bool CloseIfAbandoned()
    {
        if (State.Closed) return false;
        using var writer = TryLock(WriterLockFile);
        if (writer is null) return false;
        // Another process may have closed it between our reading and our taking the lock.
        State = ReadState(Folder);
        if (State.Closed) return false;
        var operations = Read();
        _last = operations.LastOrDefault()?.Sequence ?? 0;
        var lastWrite = new DateTimeOffset(File.GetLastWriteTimeUtc(JournalFile)).ToUnixTimeMilliseconds();
        var ended = operations.OfType<EndRun>().Select(e => e.RunKey).ToHashSet(StringComparer.Ordinal);
        // Children first, then their parent, as a build ends them.
        foreach (var start in operations.OfType<StartRun>().Where(s => !ended.Contains(s.RunKey)).OrderBy(s => s.ParentRunKey is null))
            Append(new EndRun(start.RunKey, RunStatus.Killed, Math.Max(lastWrite, start.StartTime)));
        Close();
        return true;
    }

    static JournalState ReadState(string folder) =>
        JsonSerializer.Deserialize<JournalState>(File.ReadAllText(Path.Combine(folder, "state.json")), Json) ?? new JournalState();

    /// <summary>The journals under <paramref name="root"/> still holding work, oldest first, but for journal <paramref name="except"/>.</summary>
    public static IReadOnlyList<TrackingJournal> Pending(string root, string? except = null)
    {
        if (!Directory.Exists(root)) return [];
        var journals = new List<TrackingJournal>();
        foreach (var folder in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
        {
            if (Path.GetFileName(folder) == except) continue;
            try
            {
                var journal = new TrackingJournal(folder, ReadState(folder), 0);
                journal._last = journal.Read().LastOrDefault()?.Sequence ?? 0;
                journals.Add(journal);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                // Deleted by the build that wrote it while we looked, or killed before its first line: nothing to send.
            }
        }
        return journals;
    }

    /// <summary>Writes <paramref name="operation"/> at the end, numbered, and returns it with its number.</summary>
    public TrackingOperation Append(TrackingOperation operation)
    {
        lock (_gate)
        {
            var numbered = operation with { Sequence = ++_last };
            using var stream = new FileStream(JournalFile, FileMode.Append, FileAccess.Write, FileShare.Read);
            using (var writer = new Utf8JsonWriter(stream))
                JsonSerializer.Serialize(writer, numbered, Json);
            stream.WriteByte((byte)'\n');
            return numbered;
        }
    }

    /// <summary>Keeps a copy of <paramref name="path"/> until it is uploaded (a hard link when possible) and returns its name in the journal.</summary>
    public string Keep(string path)
    {
        var name = $"{Guid.NewGuid():N}{Path.GetExtension(path)}";
        var kept = Path.Combine(Folder, "files", name);
        FileSystemNative.LinkOrCopy(path, kept);
        return Path.Combine("files", name);
    }

    /// <summary>
    /// Every complete operation, in order. Only lines ended by a newline count: the last one may still be being
    /// written (the build appends while its sender reads) or may have been cut short by a crash.
    /// </summary>
    public IReadOnlyList<TrackingOperation> Read()
    {
        byte[] bytes;
        using (var stream = new FileStream(JournalFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        var operations = new List<TrackingOperation>();
        var complete = bytes.AsSpan(0, bytes.AsSpan().LastIndexOf((byte)'\n') + 1);
        var number = 0;
        foreach (var range in complete.Split((byte)'\n'))
        {
            number++;
            var line = complete[range];
            if (line.IsEmpty) continue;
            try
            {
                operations.Add(JsonSerializer.Deserialize<TrackingOperation>(line, Json)!);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{JournalFile}, line {number}: not a tracking operation ({e.Message})", e);
            }
        }
        return operations;
    }

    /// <summary>Records the store's progress; written atomically, so a crash keeps the old or the new state.</summary>
    public void SaveState(JournalState state)
    {
        lock (_gate)
        {
            // Closing is one-way: a replayer saving a state it read before the close must not reopen the journal.
            State = state with { Closed = state.Closed || State.Closed };
            AtomicFile.WriteAllText(StateFile, JsonSerializer.Serialize(State, Json));
        }
    }

    /// <summary>No operation will be appended any more (the invocation ended); releases the writer's lock.</summary>
    public void Close()
    {
        SaveState(State with { Closed = true });
        lock (_gate)
        {
            _writer?.Dispose();
            _writer = null;
        }
    }

    /// <summary>Whether everything appended has been acknowledged.</summary>
    public bool Drained => State.Acknowledged >= Volatile.Read(ref _last);

    /// <summary>Operations appended but not acknowledged yet.</summary>
    public long Waiting => Volatile.Read(ref _last) - State.Acknowledged;

    /// <summary>Deletes the journal once it is closed and drained: nothing in it is needed any more.</summary>
    public bool DeleteIfDone()
    {
        if (!State.Closed || !Drained) return false;
        Directory.Delete(Folder, recursive: true);
        return true;
    }
}

/// <summary>
/// How far a journal got. <see cref="InFlight"/> is the operation being sent when the state was saved: after a
/// crash or a lost response it may or may not have reached the store, so its replay must not apply it twice.
/// </summary>
internal sealed record JournalState
{
    /// <summary>The store the journal reports to (its URI or mlruns folder): it is never sent anywhere else.</summary>
    public string? Store { get; init; }

    public long Acknowledged { get; init; }
    public long? InFlight { get; init; }
    public bool Closed { get; init; }

    /// <summary>Our run keys → the store's run ids.</summary>
    public Dictionary<string, string> Runs { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Experiment names → ids.</summary>
    public Dictionary<string, string> Experiments { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Sequence of a <see cref="RegisterVersion"/> → the version it created.</summary>
    public Dictionary<long, string> Versions { get; init; } = [];

    /// <summary>Operations the store refused for good (a param changed, a limit exceeded): sequence → its error.</summary>
    public Dictionary<long, string> Rejected { get; init; } = [];
}
