using System.Collections.Concurrent;
using MlOps.Pipelines.Tracking;
using MlOps.Pipelines.Tracking.Local;

namespace MlOps.Pipelines.Tests.Tracking.Local;

/// <summary>A clock the test sets.</summary>
sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>A temporary <c>mlruns</c> folder, a fixed clock and queued ids for <see cref="LocalTrackingStore"/>.</summary>
sealed class TrackingFolder : IDisposable
{
    public const long T0 = 1_721_450_907_221;

    readonly string _parent = Directory.CreateTempSubdirectory("local-tracking-").FullName;

    public TrackingFolder(string folderName = "mlruns") => Root = Path.Combine(_parent, folderName);

    public string Root { get; }

    public ManualClock Clock { get; } = new(DateTimeOffset.FromUnixTimeMilliseconds(T0));

    public ConcurrentQueue<string> ExperimentIds { get; } = new();

    public ConcurrentQueue<string> RunIds { get; } = new();

    /// <summary>The <c>file://</c> URI of a folder under the root, computed by <see cref="Uri"/> (not by the store).</summary>
    public string UriOf(params string[] segments) => new Uri(Path.Combine([Root, .. segments])).AbsoluteUri;

    public string PathOf(params string[] segments) => Path.Combine([Root, .. segments]);

    public string Read(params string[] segments) => File.ReadAllText(PathOf(segments));

    public LocalTrackingStore Open() => new(Root, Clock, "alice",
        () => ExperimentIds.TryDequeue(out var id) ? id : Random.Shared.NextInt64(100_000_000_000_000_000, 999_999_999_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture),
        () => RunIds.TryDequeue(out var id) ? id : Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_parent, recursive: true); }
        catch (IOException) { }
    }
}

static class TrackingAssert
{
    /// <summary>The call fails with <paramref name="code"/> (and the HTTP status the server would answer) and the message contains every fragment.</summary>
    public static async Task<TrackingException> Fails(string code, Func<Task> call, params string[] fragments)
    {
        var error = await Assert.ThrowsAsync<TrackingException>(call);
        Assert.Equal(code, error.ErrorCode);
        Assert.Equal(code == "RESOURCE_DOES_NOT_EXIST" ? 404 : 400, error.HttpStatus);
        Assert.False(error.Transient);
        foreach (var fragment in fragments) Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
        return error;
    }
}
