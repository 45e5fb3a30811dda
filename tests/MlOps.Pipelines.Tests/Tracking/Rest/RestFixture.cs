using System.Text.Json;
using MlOps.Pipelines.Tracking;
using MlOps.Pipelines.Tracking.Rest;

namespace MlOps.Pipelines.Tests.Tracking.Rest;

/// <summary>
/// A fake MLflow server and REST stores pointed at it. Retries never sleep: the delay hook records what was asked
/// for and returns at once; the jitter source returns 0.5.
/// </summary>
sealed class RestFixture : IAsyncDisposable
{
    /// <summary>2023-11-14T22:13:20Z in ms: a plausible timestamp.</summary>
    public const long T0 = 1_700_000_000_000;

    readonly List<RestTrackingStore> _stores = [];
    readonly List<TimeSpan> _delays = [];

    RestFixture(FakeMlflowServer server) => Server = server;

    public static async Task<RestFixture> StartAsync(string pathPrefix = "") => new(await FakeMlflowServer.StartAsync(pathPrefix));

    public FakeMlflowServer Server { get; }

    /// <summary>Variables every store gets (MLFLOW_TRACKING_URI is added); tests add to them before <see cref="Store"/> is first used.</summary>
    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    /// <summary>The delays the stores asked for, in order.</summary>
    public IReadOnlyList<TimeSpan> Delays
    {
        get { lock (_delays) return [.. _delays]; }
    }

    public Func<DateTimeOffset> UtcNow { get; set; } = () => DateTimeOffset.UtcNow;

    public double Random { get; set; } = 0.5;

    RestTrackingStore? _store;

    /// <summary>The store for <see cref="Environment"/>, created on first use.</summary>
    public RestTrackingStore Store => _store ??= CreateStore();

    public RestTrackingStore CreateStore(IReadOnlyDictionary<string, string>? overrides = null)
    {
        var environment = new Dictionary<string, string>(Environment, StringComparer.Ordinal);
        environment.TryAdd(RestTrackingOptions.TrackingUriVariable, Server.BaseUri.AbsoluteUri);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>()) environment[key] = value;
        var store = new RestTrackingStore(RestTrackingOptions.FromEnvironment(environment), Hooks());
        _stores.Add(store);
        return store;
    }

    public RestClientHooks Hooks() => new()
    {
        Delay = (delay, cancellation) =>
        {
            cancellation.ThrowIfCancellationRequested();
            lock (_delays) _delays.Add(delay);
            return Task.CompletedTask;
        },
        NextRandom = () => Random,
        UtcNow = () => UtcNow(),
    };

    public async Task<(string ExperimentId, RunInfo Run)> NewRunAsync(string experiment = "exp", IReadOnlyList<Tag>? tags = null, string runName = "run")
    {
        var id = (await Store.GetExperimentByNameAsync(experiment, default))?.ExperimentId
            ?? await Store.CreateExperimentAsync(experiment, [], default);
        var run = await Store.CreateRunAsync(id, runName, T0, tags ?? [], default);
        return (id, run);
    }

    /// <summary>The JSON body of a recorded request.</summary>
    public static JsonElement BodyOf(RecordedRequest request)
    {
        using var document = JsonDocument.Parse(request.Body);
        return document.RootElement.Clone();
    }

    public RecordedRequest Last(string endpoint) => Server.Requests.Last(r => r.Path.Contains(endpoint, StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores) store.Dispose();
        await Server.DisposeAsync();
    }
}

/// <summary>Base for tests that need a fresh fake server each.</summary>
public abstract class RestTestBase : IAsyncLifetime
{
    private protected RestFixture F { get; private set; } = null!;

    private protected virtual string PathPrefix => "";

    public async Task InitializeAsync() => F = await RestFixture.StartAsync(PathPrefix);

    public async Task DisposeAsync() => await F.DisposeAsync();
}
