using System.Globalization;
using MlOps.Pipelines.Tracking.Local;

namespace MlOps.Pipelines.Tracking.Rest;

/// <summary>
/// The checks the REST store adds to the shared <see cref="TrackingLimits"/> (spec §2.5) before sending: plausible
/// millisecond timestamps, the 1 MB log-batch body, a run name that agrees with its tag, and artefact paths that make
/// clean URLs. Failures are INVALID_PARAMETER_VALUE with status 400, as the shared ones.
/// </summary>
internal static class RestTrackingLimits
{
    public const int MaxBatchBytes = 1024 * 1024;

    /// <summary>2000-01-01 and 2100-01-01 in ms: outside, a timestamp is almost surely seconds or microseconds.</summary>
    public const long MinTimestamp = 946_684_800_000;
    public const long MaxTimestamp = 4_102_444_800_000;

    public static TrackingException Invalid(string message) => TrackingLimits.Invalid(message);

    public static void Timestamp(string what, long milliseconds)
    {
        if (milliseconds is < MinTimestamp or > MaxTimestamp)
            throw Invalid($"{what} {milliseconds.ToString(CultureInfo.InvariantCulture)} is not a time in milliseconds between 2000-01-01 and 2100-01-01.");
    }

    public static void Batch(IReadOnlyList<Metric> metrics, IReadOnlyList<Param> parameters, IReadOnlyList<Tag> tags)
    {
        TrackingLimits.ValidateBatch(metrics, parameters, tags);
        foreach (var metric in metrics) Timestamp($"The timestamp of metric '{metric.Key}'", metric.Timestamp);
    }

    public static void BatchBody(byte[] body)
    {
        if (body.Length > MaxBatchBytes)
            throw Invalid($"The log-batch request is {body.Length} bytes; at most {MaxBatchBytes} allowed (split it).");
    }

    /// <summary>runs/create: the server rejects a run_name that differs from an mlflow.runName tag.</summary>
    public static void RunName(string runName, IReadOnlyList<Tag> tags)
    {
        if (string.IsNullOrEmpty(runName)) return;
        TrackingLimits.ValidateRunTag(new Tag("mlflow.runName", runName));
        if (tags.FirstOrDefault(t => t.Key == "mlflow.runName") is { } tag && tag.Value != runName)
            throw Invalid($"The run name '{runName}' and the tag mlflow.runName '{tag.Value}' differ.");
    }

    /// <summary>
    /// The segments of a relative, '/'-separated artefact path: the shared rules, and (for clean URLs and registry
    /// sources) no empty or '.' segments and no ':'. An empty path is allowed for listings.
    /// </summary>
    public static string[] ArtifactPath(string path, bool isFile)
    {
        if (!isFile && path.Length == 0) return [];
        TrackingLimits.ValidateArtifactPath(path, isFile);
        var segments = path.Split('/');
        if (path.Contains(':', StringComparison.Ordinal) || segments.Any(s => s is "" or "."))
            throw Invalid($"Invalid artifact path: '{path}'. No empty or '.' segments and no ':'.");
        return segments;
    }
}
