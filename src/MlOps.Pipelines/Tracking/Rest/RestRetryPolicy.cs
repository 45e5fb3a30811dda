using System.Net.Http.Headers;

namespace MlOps.Pipelines.Tracking.Rest;

/// <summary>
/// When and how long to wait before trying a request again, as MLflow's Python client does (urllib3 Retry, spec §5).
/// </summary>
internal static class RestRetryPolicy
{
    /// <summary>Statuses retried for every method (POST included).</summary>
    public static bool IsRetriedStatus(int status) => status is 408 or 429 or 500 or 502 or 503 or 504;

    /// <summary>
    /// The retried statuses that say the server did not handle the request (timed out waiting for it, rate limit),
    /// so that even a non-idempotent request may be sent again. 500, 502, 503 and 504 leave the outcome unknown: a
    /// reverse proxy answers them when the backend is slow or restarting, possibly after the backend applied it.
    /// </summary>
    public static bool IsUnhandledStatus(int status) => status is 408 or 429;

    /// <summary>Statuses whose Retry-After header replaces the computed delay (urllib3 also retries a 413 that has one).</summary>
    public static bool HonoursRetryAfter(int status) => status is 413 or 429 or 503;

    /// <summary>
    /// The delay before retry <paramref name="retry"/> (1-based: the number of consecutive failures so far): none for
    /// the first, then factor·2^(retry−1) capped at <see cref="RestTrackingOptions.MaxBackoff"/>, plus jitter·random
    /// (random in [0, 1)).
    /// </summary>
    public static TimeSpan Backoff(int retry, double factor, double jitter, double random)
    {
        if (retry <= 1) return TimeSpan.Zero;
        var exponential = factor * Math.Pow(2, retry - 1);
        var seconds = Math.Min(exponential, RestTrackingOptions.MaxBackoff.TotalSeconds) + jitter * Math.Clamp(random, 0, 1);
        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>The wait a Retry-After header asks for (delta seconds or an HTTP date), never negative; null when absent or unreadable.</summary>
    public static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now)
    {
        if (header?.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (header?.Date is { } date) return date <= now ? TimeSpan.Zero : date - now;
        return null;
    }
}
