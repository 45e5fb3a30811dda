using MlOps.Pipelines.Tracking;

namespace MlOps.Pipelines;

/// <summary>A registered model version: where it came from, its tags, and the metrics of the run that registered it.</summary>
public sealed record RegisteredVersion(string Model, string Version, string? RunId, IReadOnlyDictionary<string, string> Tags, IReadOnlyDictionary<string, double> Metrics);

/// <summary>
/// The MLflow model registry of the store this build reports to (a server, or <c>mlruns/models</c>), seen from a
/// target. Versions are addressed by aliases (<c>champion</c>, <c>challenger</c>); stages are deprecated by MLflow.
/// Changes go through the build's tracking journal like everything else, so they are never half made: when the
/// store cannot be reached they are kept and <c>./build.sh SyncRuns</c> completes them.
/// </summary>
public sealed class ModelRegistry
{
    /// <summary>How long a change waits for the store to confirm it before it is left to SyncRuns.</summary>
    static readonly TimeSpan ConfirmLimit = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a target waits for the registry to answer a question (retries included) before it fails: a target that
    /// needs the champion must not wait minutes for a server that is down.
    /// </summary>
    internal static readonly TimeSpan AnswerLimit = TimeSpan.FromSeconds(10);

    readonly TrackingSession _session;
    readonly TargetTracker _tracker;

    internal ModelRegistry(TrackingSession session, TargetTracker tracker)
    {
        _session = session;
        _tracker = tracker;
    }

    /// <summary>Where the registry lives (a server URI or an mlruns folder), for messages.</summary>
    public string Location => _session.Location;

    /// <summary>The version <paramref name="alias"/> points to, or null when the model or the alias does not exist.</summary>
    public async Task<RegisteredVersion?> GetAsync(string model, string alias, CancellationToken cancellation = default)
    {
        return await AskAsync(async limited =>
        {
            var version = await _session.Store.GetModelVersionByAliasAsync(model, alias, limited);
            return version is null ? null : await DescribeAsync(version, limited);
        }, cancellation);
    }

    /// <summary>
    /// Uploads every file of <paramref name="folder"/> to this target's run under <c>model/</c>, registers it as a new
    /// version of <paramref name="model"/> with <paramref name="tags"/>, and points <paramref name="aliases"/> at it.
    /// Returns the version, or null when the store did not confirm in time (the registration then waits in the
    /// journal for SyncRuns).
    /// </summary>
    public async Task<RegisteredVersion?> RegisterAsync(string model, AbsolutePath folder, IReadOnlyDictionary<string, string> tags, IReadOnlyList<string> aliases, CancellationToken cancellation = default)
    {
        var sequence = _tracker.Register(model, folder, tags, aliases);
        if (!await _session.WaitAcknowledgedAsync(sequence, ConfirmLimit, cancellation)) return null;
        var version = _session.RegisteredVersion(sequence);
        return version is null ? null : await AskAsync(async limited => await DescribeAsync(await _session.Store.GetModelVersionAsync(model, version, limited), limited), cancellation,
            $"version {version} of {model} was registered, but could not be read back");
    }

    /// <summary>Points <paramref name="alias"/> at an existing version (a rollback); false when the store did not confirm in time.</summary>
    public async Task<bool> SetAliasAsync(string model, string alias, string version, CancellationToken cancellation = default)
    {
        var sequence = _tracker.SetAlias(model, alias, version);
        return await _session.WaitAcknowledgedAsync(sequence, ConfirmLimit, cancellation);
    }

    /// <summary>Removes <paramref name="alias"/> (the version stays addressable by number); false when the store did not confirm in time.</summary>
    public async Task<bool> DeleteAliasAsync(string model, string alias, CancellationToken cancellation = default)
    {
        var sequence = _tracker.DeleteAlias(model, alias);
        return await _session.WaitAcknowledgedAsync(sequence, ConfirmLimit, cancellation);
    }

    /// <summary>
    /// The version a model URI names: <c>models:/name@alias</c> or <c>models:/name/version</c>; null when the alias does
    /// not exist. Other forms (stages, <c>latest</c>, run URIs) are refused: aliases replace stages.
    /// </summary>
    public async Task<RegisteredVersion?> ResolveAsync(string modelUri, CancellationToken cancellation = default)
    {
        const string scheme = "models:/";
        if (!modelUri.StartsWith(scheme, StringComparison.Ordinal))
            throw new ArgumentException($"'{modelUri}' is not a model URI: use models:/<name>@<alias> or models:/<name>/<version>.", nameof(modelUri));
        var rest = modelUri[scheme.Length..];
        var at = rest.LastIndexOf('@');
        if (at > 0) return await GetAsync(rest[..at], rest[(at + 1)..], cancellation);
        var slash = rest.LastIndexOf('/');
        if (slash > 0 && long.TryParse(rest[(slash + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
        {
            return await AskAsync<RegisteredVersion?>(async limited =>
            {
                try
                {
                    return await DescribeAsync(await _session.Store.GetModelVersionAsync(rest[..slash], rest[(slash + 1)..], limited), limited);
                }
                catch (TrackingException e) when (e.ErrorCode == "RESOURCE_DOES_NOT_EXIST")
                {
                    return null;
                }
            }, cancellation);
        }
        throw new ArgumentException($"'{modelUri}' names no alias or version number: use models:/<name>@<alias> or models:/<name>/<version> (stages and 'latest' are deprecated by MLflow).", nameof(modelUri));
    }

    /// <summary>
    /// The files of the version a model URI names (<c>models:/name@alias</c> or <c>models:/name/version</c>) in a local
    /// folder: the registered folder itself for a local store, a verified download (cached by version) from a server.
    /// Throws <see cref="ArgumentException"/> for a malformed URI and <see cref="InvalidOperationException"/> naming the
    /// model when the alias or version does not exist.
    /// </summary>
    // CONTRACT (issue 13): implemented by the MLflow-client part; the components' Score target calls it.
    public Task<AbsolutePath> FetchAsync(string modelUri, CancellationToken cancellation = default) =>
        throw new NotImplementedException("ModelRegistry.FetchAsync arrives with the MLflow client project (issue 13).");

    /// <summary>
    /// Asks the store within <see cref="AnswerLimit"/>; a store that is unreachable, refuses the credentials or does
    /// not answer in time fails the target with one line naming it (at once when the build's sender already found so).
    /// </summary>
    async Task<T> AskAsync<T>(Func<CancellationToken, Task<T>> question, CancellationToken cancellation, string consequence = "nothing was registered")
    {
        if (_session.Offline is { } offline) throw Unavailable(offline, consequence);
        using var limit = new CancellationTokenSource(AnswerLimit, _session.Clock);
        using var limited = CancellationTokenSource.CreateLinkedTokenSource(cancellation, limit.Token);
        try
        {
            return await question(limited.Token);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellation.IsCancellationRequested)
        {
            var why = _session.Store.LastFailure is { } failure ? $" ({failure})" : "";
            throw new RegistryUnavailableException($"The model registry at {Location} did not answer within {AnswerLimit.TotalSeconds:0} s{why}; {consequence}.");
        }
        catch (TrackingException e) when (e.Transient || e.CredentialsRefused)
        {
            throw Unavailable(e, consequence);
        }
    }

    RegistryUnavailableException Unavailable(TrackingException e, string consequence) => new(e.CredentialsRefused
        ? $"The model registry at {Location} refused the credentials (HTTP {e.HttpStatus}); {consequence}."
        : $"The model registry at {Location} cannot be reached ({e.Message}); {consequence}.");

    async Task<RegisteredVersion> DescribeAsync(ModelVersion version, CancellationToken cancellation)
    {
        IReadOnlyDictionary<string, double> metrics = new Dictionary<string, double>();
        if (version.RunId is { } runId)
            metrics = (await _session.Store.GetRunAsync(runId, cancellation)).Metrics.ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal);
        return new RegisteredVersion(version.Name, version.Version, version.RunId, version.Tags.ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal), metrics);
    }
}

/// <summary>A target needed an answer from the model registry and got none: the store is down, slow or refuses the credentials.</summary>
internal sealed class RegistryUnavailableException(string message) : Exception(message);
