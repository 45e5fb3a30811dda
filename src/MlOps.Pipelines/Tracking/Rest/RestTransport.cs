using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Security.Authentication;
using System.Text;
using System.Text.Json;

namespace MlOps.Pipelines.Tracking.Rest;

/// <summary>What the REST store needs from its surroundings; tests replace the waiting, the randomness and the clock.</summary>
internal sealed class RestClientHooks
{
    /// <summary>Sends the requests; null = a <see cref="SocketsHttpHandler"/> built from the options.</summary>
    public HttpMessageHandler? Handler { get; init; }

    /// <summary>Waits before a retry.</summary>
    public Func<TimeSpan, CancellationToken, Task> Delay { get; init; } = Task.Delay;

    /// <summary>A value in [0, 1) for the jitter.</summary>
    public Func<double> NextRandom { get; init; } = Random.Shared.NextDouble;

    /// <summary>Now, for Retry-After dates.</summary>
    public Func<DateTimeOffset> UtcNow { get; init; } = () => DateTimeOffset.UtcNow;
}

/// <summary>Codes for failures where no server answered (<see cref="TrackingException.HttpStatus"/> is null, so transient).</summary>
internal static class RestErrorCodes
{
    public const string ConnectionError = "CONNECTION_ERROR";
    public const string Timeout = "DEADLINE_EXCEEDED";
}

/// <summary>When a failed attempt may be repeated.</summary>
internal enum RetryMode
{
    /// <summary>
    /// The request is idempotent: repeat it on every retried status (408, 429, 500, 502, 503, 504, a Retry-After on 413)
    /// and when no answer came.
    /// </summary>
    Always,

    /// <summary>
    /// The request is not idempotent (it creates a run or a model version, or appends metric points): repeat it only
    /// when the server certainly did not handle it - 408, 429, a Retry-After on 413, or no connection at all.
    /// When the outcome is unknown - the connection was lost after the request may have been sent, the attempt timed
    /// out, or the server answered 500, 502, 503 or 504 (a proxy's answer after the backend applied it, or a store
    /// that wrote part of it) - fail at once with a transient <see cref="TrackingException"/> whose
    /// <see cref="TrackingException.OutcomeUnknown"/> is set: the caller finds out what was applied and completes it.
    /// </summary>
    UnlessOutcomeUnknown,
}

/// <summary>One answer of the server, read whole.</summary>
internal sealed record RestResponse(int Status, string Reason, string? ContentType, string Body, TimeSpan? RetryAfter, Uri? RedirectLocation)
{
    public bool IsSuccess => Status is >= 200 and < 300;
}

/// <summary>
/// HTTP for the REST store: MLflow's headers, per-attempt timeouts, retries with backoff, and error answers turned into
/// <see cref="TrackingException"/>. Never writes the Authorization header anywhere but into requests.
/// </summary>
internal sealed class RestTransport : IDisposable
{
    static readonly MediaTypeHeaderValue JsonMediaType = new("application/json");

    readonly RestTrackingOptions _options;
    readonly RestClientHooks _hooks;
    readonly HttpClient _http;
    readonly ProductInfoHeaderValue _userAgent = new("mlops-pipelines", Version);

    public RestTransport(RestTrackingOptions options, RestClientHooks? hooks = null)
    {
        _options = options;
        _hooks = hooks ?? new RestClientHooks();
        _http = _hooks.Handler is { } handler
            ? new HttpClient(handler, disposeHandler: false)
            : new HttpClient(CreateHandler(options), disposeHandler: true);
        _http.Timeout = System.Threading.Timeout.InfiniteTimeSpan; // per attempt, below
    }

    /// <summary>This assembly's version, for the User-Agent product token.</summary>
    public static string Version { get; } =
        typeof(RestTransport).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(RestTransport).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public RestTrackingOptions Options => _options;

    volatile string? _lastFailure;

    /// <summary>
    /// What went wrong with the latest attempt when it failed (a refused connection, a timeout, a retried status),
    /// null when it was answered: says why a call still retrying has not returned.
    /// </summary>
    public string? LastFailure => _lastFailure;

    public void Dispose() => _http.Dispose();

    static SocketsHttpHandler CreateHandler(RestTrackingOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            // A redirect would turn a POST into a GET and may drop the Authorization header: report it instead.
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.All,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = options.Timeout,
        };
        if (options.InsecureTls)
#pragma warning disable CA5359 // Explicitly requested with MLFLOW_TRACKING_INSECURE_TLS=true, as in MLflow's client.
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
        return handler;
    }

    /// <summary>GET <c>{base}/api/2.0{endpoint}?query</c>; the answer must be a JSON object.</summary>
    public Task<JsonElement> GetAsync(string endpoint, IEnumerable<KeyValuePair<string, string>> query, CancellationToken cancellation)
    {
        var text = string.Join("&", query.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
        var url = new Uri(_options.Location + "/api/2.0" + endpoint + (text.Length > 0 ? "?" + text : ""), UriKind.Absolute);
        return CallJsonAsync(HttpMethod.Get, url, endpoint, body: null, RetryMode.Always, cancellation);
    }

    /// <summary>POST (or PATCH, DELETE) <c>{base}/api/2.0{endpoint}</c> with a JSON body; the answer must be a JSON object.</summary>
    public Task<JsonElement> SendJsonAsync(HttpMethod method, string endpoint, byte[] body, CancellationToken cancellation) =>
        SendJsonAsync(method, endpoint, body, RetryMode.Always, cancellation);

    /// <summary>As <see cref="SendJsonAsync(HttpMethod, string, byte[], CancellationToken)"/>, retried as <paramref name="retry"/> allows.</summary>
    public Task<JsonElement> SendJsonAsync(HttpMethod method, string endpoint, byte[] body, RetryMode retry, CancellationToken cancellation)
    {
        var url = new Uri(_options.Location + "/api/2.0" + endpoint, UriKind.Absolute);
        return CallJsonAsync(method, url, endpoint, body, retry, cancellation);
    }

    async Task<JsonElement> CallJsonAsync(HttpMethod method, Uri url, string endpoint, byte[]? body, RetryMode retry, CancellationToken cancellation)
    {
        var what = $"{method} {endpoint}";
        Func<HttpContent?> content = body is null ? () => null : () =>
        {
            var bytes = new ByteArrayContent(body);
            bytes.Headers.ContentType = JsonMediaType;
            return bytes;
        };
        var response = await SendAsync(method, url, content, _options.Timeout, what, retry, cancellation).ConfigureAwait(false);
        if (!response.IsSuccess)
        {
            var error = ToException(response, what);
            // Returned without retrying only because it may have been applied (see RetryMode.UnlessOutcomeUnknown).
            throw retry == RetryMode.UnlessOutcomeUnknown && error.Transient && !RestRetryPolicy.IsUnhandledStatus(response.Status)
                ? new TrackingException(error.ErrorCode, error.Message, error.HttpStatus) { OutcomeUnknown = true, RetryAfter = response.RetryAfter }
                : error;
        }
        try
        {
            using var document = JsonDocument.Parse(response.Body);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw MlflowJson.InvalidResponse($"{what} answered HTTP {response.Status} with a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}, not an object.");
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw MlflowJson.InvalidResponse($"{what} answered HTTP {response.Status} with {Describe(response)}, not a JSON object.");
        }
    }

    /// <summary>
    /// Sends with retries; returns the last answer (success or not), throws when no answer came at all.
    /// <paramref name="content"/> makes a fresh body for each attempt (a stream cannot be sent twice).
    /// </summary>
    public Task<RestResponse> SendAsync(HttpMethod method, Uri url, Func<HttpContent?> content, TimeSpan timeout, string what, CancellationToken cancellation) =>
        SendAsync(method, url, content, timeout, what, RetryMode.Always, cancellation);

    /// <summary>
    /// Sends with the retries <paramref name="retry"/> allows; returns the last answer (success or not), throws when no
    /// answer came at all. With <see cref="RetryMode.UnlessOutcomeUnknown"/> a 500/502/504 answer is returned (not
    /// retried) and a lost connection or a timeout throws at once.
    /// </summary>
    public async Task<RestResponse> SendAsync(HttpMethod method, Uri url, Func<HttpContent?> content, TimeSpan timeout, string what, RetryMode retry, CancellationToken cancellation)
    {
        for (var retries = 0; ; retries++)
        {
            RestResponse? response = null;
            Exception? failure = null;
            // Made outside the retry's catch: a local file that cannot be opened is not a connection failure.
            var body = content();
            try
            {
                response = await SendOnceAsync(method, url, body, timeout, cancellation).ConfigureAwait(false);
                _lastFailure = RestRetryPolicy.IsRetriedStatus(response.Status) ? $"HTTP {response.Status} {response.Reason}".TrimEnd() : null;
                if (!ShouldRetry(response, retry)) return response;
            }
            catch (Exception e) when (IsConnectionFailure(e, cancellation))
            {
                failure = e;
                _lastFailure = e is OperationCanceledException ? $"no answer within {timeout.TotalSeconds:0.###} s" : e.Message;
            }

            var outcomeUnknown = failure is not null && retry == RetryMode.UnlessOutcomeUnknown && !NeverSent(failure);
            if (retries >= _options.MaxRetries || outcomeUnknown)
            {
                if (response is not null) return response;
                var attempts = retries + 1;
                var timedOut = failure is OperationCanceledException;
                var reason = timedOut ? $"no answer within {timeout.TotalSeconds:0.###} s" : failure!.Message;
                var problem = outcomeUnknown
                    ? $"no answer from the tracking server at {_options.Location} ({attempts} attempt{(attempts == 1 ? "" : "s")}; not retried, the request may have been applied)"
                    : $"could not reach the tracking server at {_options.Location} ({attempts} attempt{(attempts == 1 ? "" : "s")})";
                throw new TrackingException(
                    timedOut ? RestErrorCodes.Timeout : RestErrorCodes.ConnectionError,
                    $"{what}: {problem}: {reason}",
                    httpStatus: null,
                    failure)
                { OutcomeUnknown = outcomeUnknown };
            }

            var retryAfter = response is not null && RestRetryPolicy.HonoursRetryAfter(response.Status) ? response.RetryAfter : null;
            await WaitBeforeRetryAsync(retries + 1, retryAfter, cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits as before retry <paramref name="failures"/> (1-based): what a Retry-After header asked for when it is
    /// honoured, else the backoff. Also paces the caller's resends after an unknown outcome.
    /// </summary>
    public Task WaitBeforeRetryAsync(int failures, TimeSpan? retryAfter, CancellationToken cancellation)
    {
        var delay = retryAfter is { } asked && _options.RespectRetryAfter
            ? asked
            : RestRetryPolicy.Backoff(failures, _options.BackoffFactor, _options.BackoffJitter, failures <= 1 ? 0 : _hooks.NextRandom());
        return _hooks.Delay(delay, cancellation);
    }

    bool ShouldRetry(RestResponse response, RetryMode retry) =>
        (retry == RetryMode.Always ? RestRetryPolicy.IsRetriedStatus(response.Status) : RestRetryPolicy.IsUnhandledStatus(response.Status))
        || (_options.RespectRetryAfter && response.RetryAfter is not null && RestRetryPolicy.HonoursRetryAfter(response.Status)
            // A 503 asks for a wait, but may still come from a proxy after the backend applied the request.
            && (retry == RetryMode.Always || response.Status != 503));

    /// <summary>
    /// True when the request certainly never left: no connection could be made (refused, unreachable, the name did not
    /// resolve). A connection lost later, a reset, a timeout or an ended response may come after the server applied it.
    /// </summary>
    static bool NeverSent(Exception failure) =>
        failure is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError };

    static bool IsConnectionFailure(Exception e, CancellationToken cancellation) => e switch
    {
        // A TLS failure does not heal by itself.
        HttpRequestException { InnerException: AuthenticationException } => false,
        HttpRequestException or IOException => true,
        // Our per-attempt timeout, not the caller's cancellation.
        OperationCanceledException => !cancellation.IsCancellationRequested,
        _ => false,
    };

    async Task<RestResponse> SendOnceAsync(HttpMethod method, Uri url, HttpContent? content, TimeSpan timeout, CancellationToken cancellation)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
        request.Headers.UserAgent.Add(_userAgent);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (_options.Authorization is { } authorization) request.Headers.Authorization = authorization;

        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        attempt.CancelAfter(timeout);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attempt.Token).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(attempt.Token).ConfigureAwait(false);
        return new RestResponse(
            (int)response.StatusCode,
            response.ReasonPhrase ?? "",
            response.Content.Headers.ContentType?.MediaType,
            body,
            RestRetryPolicy.RetryAfter(response.Headers.RetryAfter, _hooks.UtcNow()),
            response.Headers.Location);
    }

    /// <summary>
    /// An error answer as MLflow's client reads it: a JSON object with <c>error_code</c> gives code and message; any
    /// other body (an HTML 404/405 page, a proxy's 502) gets a code derived from the status.
    /// </summary>
    public static TrackingException ToException(RestResponse response, string what)
    {
        string? code = null, message = null;
        try
        {
            using var document = JsonDocument.Parse(response.Body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error_code", out var errorCode) && errorCode.ValueKind == JsonValueKind.String)
            {
                code = errorCode.GetString();
                message = root.TryGetProperty("message", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString() : null;
            }
        }
        catch (JsonException)
        {
        }

        if (string.IsNullOrEmpty(code))
        {
            code = CodeForStatus(response.Status);
            var redirect = response.Status is >= 300 and < 400 && response.RedirectLocation is { } location
                ? $"; redirected to {location} (set {RestTrackingOptions.TrackingUriVariable} to the final address)"
                : "";
            message = $"{what} answered HTTP {response.Status}{(response.Reason.Length > 0 ? " " + response.Reason : "")}{redirect}: {Describe(response)}";
        }
        else if (string.IsNullOrEmpty(message))
        {
            message = $"{what} answered HTTP {response.Status} {code}";
        }
        return new TrackingException(code!, message!, response.Status) { RetryAfter = response.RetryAfter };
    }

    /// <summary>The code MLflow's Python client derives from a status when the body has none (and HTTP_&lt;status&gt; for the rest).</summary>
    public static string CodeForStatus(int status) => status switch
    {
        400 => "BAD_REQUEST",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "ENDPOINT_NOT_FOUND",
        409 => "RESOURCE_CONFLICT",
        429 => "REQUEST_LIMIT_EXCEEDED",
        500 => "INTERNAL_ERROR",
        501 => "NOT_IMPLEMENTED",
        503 => "TEMPORARILY_UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "HTTP_" + status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>A short, single-line description of a body for messages: its text without markup, cut at 200 characters.</summary>
    static string Describe(RestResponse response)
    {
        if (response.Body.Length == 0) return "an empty body";
        var text = new StringBuilder();
        var inTag = false;
        foreach (var c in response.Body)
        {
            if (c == '<') inTag = true;
            else if (c == '>' && inTag) { inTag = false; text.Append(' '); }
            else if (!inTag) text.Append(char.IsWhiteSpace(c) || char.IsControl(c) ? ' ' : c);
        }
        var words = string.Join(' ', text.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries));
        if (words.Length > 200) words = words[..200] + "...";
        return $"{response.ContentType ?? "no content type"} body '{words}'";
    }
}
