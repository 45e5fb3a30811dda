namespace MlOps.Pipelines.Tracking;

/// <summary>
/// Sends a journal's unacknowledged operations to a store, in order, so that sending twice never records twice:
/// an operation that may already have reached the store (the one in flight when a response was lost or the
/// process died) is completed instead of repeated — its run found by tag, its metric points already stored
/// left out, its model version found by run and tag. Params are write-once and tags and artefacts overwrite,
/// so they may simply be sent again.
/// </summary>
internal sealed class JournalReplayer(ITrackingStore store, Action? acknowledged = null)
{
    /// <summary>Tag on every run: the key the journal knows it by.</summary>
    public const string RunKeyTag = "mlops.run_key";

    /// <summary>Tag on every model version: the journal operation that created it.</summary>
    public const string OperationTag = "mlops.journal_operation";

    /// <summary>Tag on every model version: the <see cref="FolderContent.Sha256"/> of the files it was registered from.</summary>
    public const string ContentTag = "mlops.content_sha256";

    /// <summary>
    /// Replays until the journal is drained; returns how many operations were sent. An operation whose outcome is
    /// unknown (a lost answer, a timeout, a 5xx) is completed and sent again as often as the store's retry policy
    /// allows. A transient failure that outlasts it (server unreachable, 429, 5xx) or refused credentials (401, 403)
    /// propagate and leave the rest for later; an operation the store refuses for good is recorded in
    /// <see cref="JournalState.Rejected"/> and replay goes on.
    /// </summary>
    public async Task<int> ReplayAsync(TrackingJournal journal, CancellationToken cancellation)
    {
        var sent = 0;
        foreach (var operation in journal.Read().Where(o => o.Sequence > journal.State.Acknowledged))
        {
            cancellation.ThrowIfCancellationRequested();
            var maybeApplied = journal.State.InFlight == operation.Sequence;
            journal.SaveState(journal.State with { InFlight = operation.Sequence });
            var state = journal.State;
            try
            {
                state = await ApplyUntilKnownAsync(operation, journal, maybeApplied, cancellation);
            }
            catch (TrackingException e) when (!e.Transient && !e.CredentialsRefused)
            {
                state = state with { Rejected = new(state.Rejected) { [operation.Sequence] = $"{e.ErrorCode}: {e.Message}" } };
            }
            journal.SaveState(state with { Acknowledged = operation.Sequence, InFlight = null });
            acknowledged?.Invoke();
            sent++;
        }
        return sent;
    }

    /// <summary>
    /// Applies <paramref name="operation"/>; after an unknown outcome, waits as the store says and applies it again as
    /// possibly applied, which finds what reached the store instead of repeating it.
    /// </summary>
    async Task<JournalState> ApplyUntilKnownAsync(TrackingOperation operation, TrackingJournal journal, bool maybeApplied, CancellationToken cancellation)
    {
        for (var resend = 1; ; resend++)
        {
            TrackingException unknown;
            try
            {
                return await ApplyAsync(operation, journal, maybeApplied, cancellation);
            }
            catch (TrackingException e) when (e.OutcomeUnknown)
            {
                unknown = e;
            }
            if (!await store.WaitBeforeResendAsync(resend, unknown, cancellation))
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(unknown);
            maybeApplied = true;
        }
    }

    async Task<JournalState> ApplyAsync(TrackingOperation operation, TrackingJournal journal, bool maybeApplied, CancellationToken cancellation)
    {
        var state = journal.State;
        switch (operation)
        {
            case StartRun start:
                var (experimentId, withExperiment) = await ExperimentAsync(start.Experiment, state, cancellation);
                state = withExperiment;
                if (maybeApplied && (await store.FindRunsByTagAsync(experimentId, RunKeyTag, start.RunKey, cancellation)).FirstOrDefault() is { } found)
                    return state with { Runs = new(state.Runs) { [start.RunKey] = found } };
                var tags = start.Tags.Append(new Tag(RunKeyTag, start.RunKey)).ToList();
                if (start.ParentRunKey is { } parent) tags.Add(new Tag("mlflow.parentRunId", RunId(state, parent)));
                var run = await store.CreateRunAsync(experimentId, start.RunName, start.StartTime, tags, cancellation);
                return state with { Runs = new(state.Runs) { [start.RunKey] = run.RunId } };

            case LogBatch batch:
                var runId = RunId(state, batch.RunKey);
                var metrics = maybeApplied ? await NotYetStoredAsync(runId, batch.Metrics, cancellation) : batch.Metrics;
                if (metrics.Count > 0 || batch.Params.Count > 0 || batch.Tags.Count > 0)
                    await store.LogBatchAsync(runId, metrics, batch.Params, batch.Tags, cancellation);
                return state;

            case LogInputs inputs:
                await store.LogInputsAsync(RunId(state, inputs.RunKey), inputs.Datasets, cancellation);
                return state;

            case LogArtifact artifact:
                await store.LogArtifactAsync(RunId(state, artifact.RunKey), Path.Combine(journal.Folder, artifact.StoredFile), artifact.ArtifactPath, cancellation);
                return state;

            case EndRun end:
                await store.UpdateRunAsync(RunId(state, end.RunKey), end.Status, end.EndTime, cancellation);
                return state;

            case RegisterVersion register:
                return await RegisterAsync(register, journal.Id, state, maybeApplied, cancellation);

            case SetAlias alias:
                await store.SetAliasAsync(alias.Model, alias.Alias, alias.Version, cancellation);
                return state;

            case DeleteAlias alias:
                await store.DeleteAliasAsync(alias.Model, alias.Alias, cancellation);
                return state;

            case LogModel model:
                await LogModelAsync(model, journal, maybeApplied, cancellation);
                return state;

            case TagRunId link:
                await store.LogBatchAsync(RunId(state, link.RunKey), [], [], [new Tag(link.Key, await RunIdOfAsync(link, state, cancellation))], cancellation);
                return state;

            default:
                throw new InvalidOperationException($"Unknown tracking operation {operation.GetType().Name}.");
        }
    }

    async Task<(string Id, JournalState State)> ExperimentAsync(string name, JournalState state, CancellationToken cancellation)
    {
        if (state.Experiments.TryGetValue(name, out var known)) return (known, state);
        var id = (await store.GetExperimentByNameAsync(name, cancellation))?.ExperimentId;
        if (id is null)
        {
            try
            {
                id = await store.CreateExperimentAsync(name, [], cancellation);
            }
            catch (TrackingException e) when (e.ErrorCode == "RESOURCE_ALREADY_EXISTS")
            {
                // Another build created it in between.
                id = (await store.GetExperimentByNameAsync(name, cancellation))?.ExperimentId;
                if (id is null) throw;
            }
        }
        return (id, state with { Experiments = new(state.Experiments) { [name] = id } });
    }

    /// <summary>The points of <paramref name="metrics"/> the store does not hold yet (each stored point cancels one equal point).</summary>
    async Task<IReadOnlyList<Metric>> NotYetStoredAsync(string runId, IReadOnlyList<Metric> metrics, CancellationToken cancellation)
    {
        var stored = new Dictionary<(string, long, long, long), int>();
        foreach (var key in metrics.Select(m => m.Key).Distinct(StringComparer.Ordinal))
            foreach (var point in await store.GetMetricHistoryAsync(runId, key, cancellation))
            {
                var identity = Identity(point);
                stored[identity] = stored.GetValueOrDefault(identity) + 1;
            }
        var missing = new List<Metric>();
        foreach (var metric in metrics)
        {
            var identity = Identity(metric);
            if (stored.GetValueOrDefault(identity) > 0) stored[identity]--;
            else missing.Add(metric);
        }
        return missing;

        static (string, long, long, long) Identity(Metric m) => (m.Key, m.Timestamp, m.Step, BitConverter.DoubleToInt64Bits(m.Value));
    }

    async Task<JournalState> RegisterAsync(RegisterVersion register, string journalId, JournalState state, bool maybeApplied, CancellationToken cancellation)
    {
        var runId = RunId(state, register.RunKey);
        var marker = new Tag(OperationTag, $"{journalId}:{register.Sequence}");
        var tags = register.Tags.Append(marker).ToList();
        ModelVersion? version = null;
        if (register.ContentSha256 is { } content)
        {
            // The same files registered before - by this operation before a lost answer, or by another build (a
            // registration that waited in its journal, then a Deploy of the same package): that version is the one.
            var identity = new Tag(ContentTag, content);
            tags.Add(identity);
            version = (await store.FindModelVersionsAsync(register.Model, null, cancellation)).LastOrDefault(v => v.Tags.Contains(identity));
        }
        else if (maybeApplied)
        {
            version = (await store.FindModelVersionsAsync(register.Model, runId, cancellation)).FirstOrDefault(v => v.Tags.Contains(marker));
        }
        if (version is null)
        {
            if (await store.GetRegisteredModelAsync(register.Model, cancellation) is null)
            {
                try
                {
                    await store.CreateRegisteredModelAsync(register.Model, cancellation);
                }
                catch (TrackingException e) when (e.ErrorCode == "RESOURCE_ALREADY_EXISTS")
                {
                }
            }
            version = await store.CreateModelVersionAsync(register.Model, runId, register.ArtifactPath, tags, cancellation);
        }
        foreach (var alias in register.Aliases) await store.SetAliasAsync(register.Model, alias, version.Version, cancellation);
        return state with { Versions = new(state.Versions) { [register.Sequence] = version.Version } };
    }

    /// <summary>Uploads the stamped MLmodel and records it, once: after an unknown outcome, a history entry with the same path and time means it was.</summary>
    async Task LogModelAsync(LogModel model, TrackingJournal journal, bool maybeApplied, CancellationToken cancellation)
    {
        var runId = RunId(journal.State, model.RunKey);
        var stored = Path.Combine(journal.Folder, model.StoredFile);
        var (mlmodel, json) = LoggedModel.Stamp(await File.ReadAllTextAsync(stored, cancellation), runId, model.ArtifactPath, model.LoggedAt);
        var stamped = stored + ".stamped";
        await File.WriteAllTextAsync(stamped, mlmodel, cancellation);
        await store.LogArtifactAsync(runId, stamped, model.ArtifactPath + "/" + LoggedModel.FileName, cancellation);
        if (maybeApplied && LoggedModel.IsRecorded((await store.GetRunAsync(runId, cancellation)).Tags, json)) return;
        await store.LogModelAsync(runId, json, cancellation);
    }

    /// <summary>The store's id of the run a <see cref="TagRunId"/> names, or a note saying it is not in this store.</summary>
    async Task<string> RunIdOfAsync(TagRunId link, JournalState state, CancellationToken cancellation)
    {
        if (state.Runs.TryGetValue(link.OtherRunKey, out var known)) return known;
        var experiment = await store.GetExperimentByNameAsync(link.Experiment, cancellation);
        var found = experiment is null ? null : (await store.FindRunsByTagAsync(experiment.ExperimentId, RunKeyTag, link.OtherRunKey, cancellation)).FirstOrDefault();
        return found ?? $"(not in {store.Location}: run key {link.OtherRunKey})";
    }

    static string RunId(JournalState state, string runKey) =>
        state.Runs.TryGetValue(runKey, out var id) ? id : throw new InvalidDataException($"The tracking journal logs to run '{runKey}' before starting it.");
}
