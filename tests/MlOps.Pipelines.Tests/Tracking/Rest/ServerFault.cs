namespace MlOps.Pipelines.Tests.Tracking.Rest;

enum FaultKind
{
    /// <summary>Answer with a status (JSON or HTML body, optional Retry-After) without handling the request.</summary>
    Status,
    /// <summary>Close the connection without an answer and without handling the request.</summary>
    DropBeforeHandling,
    /// <summary>Handle the request (state changes), then close the connection without an answer: a lost response.</summary>
    DropAfterHandling,
    /// <summary>Wait, then handle normally (if the client is still there).</summary>
    Latency,
    /// <summary>Handle the request (state changes), then answer a status instead of the result: a proxy's 502/503/504 after the backend applied it.</summary>
    StatusAfterHandling,
}

/// <summary>
/// One injected fault, applied to the next request(s) matching an endpoint: see <see cref="FakeMlflowServer.Inject"/>.
/// </summary>
sealed record ServerFault(FaultKind Kind, int StatusCode = 0, string? RetryAfter = null, string? Body = null, string ContentType = "application/json", TimeSpan Delay = default)
{
    /// <summary>503 TEMPORARILY_UNAVAILABLE (JSON), optionally with Retry-After (seconds or an HTTP date).</summary>
    public static ServerFault Unavailable(string? retryAfter = null) =>
        new(FaultKind.Status, 503, retryAfter, """{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "injected: try again later"}""");

    /// <summary>429 REQUEST_LIMIT_EXCEEDED (JSON) with Retry-After.</summary>
    public static ServerFault TooManyRequests(string? retryAfter) =>
        new(FaultKind.Status, 429, retryAfter, """{"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "injected: slow down"}""");

    /// <summary>A reverse proxy's HTML error page (502, 503, 504, ...).</summary>
    public static ServerFault ProxyHtml(int status, string? retryAfter = null) =>
        new(FaultKind.Status, status, retryAfter, $"<html><head><title>{status} Bad Gateway</title></head><body><center><h1>{status} Bad Gateway</h1></center><hr><center>nginx</center></body></html>", "text/html");

    /// <summary>Any status with any body.</summary>
    public static ServerFault Answer(int status, string body, string contentType = "application/json", string? retryAfter = null) =>
        new(FaultKind.Status, status, retryAfter, body, contentType);

    /// <summary>As <see cref="ProxyHtml"/>, but the backend applied the request first.</summary>
    public static ServerFault ProxyHtmlAfterHandling(int status, string? retryAfter = null) => ProxyHtml(status, retryAfter) with { Kind = FaultKind.StatusAfterHandling };

    public static ServerFault DropBeforeHandling() => new(FaultKind.DropBeforeHandling);

    public static ServerFault DropAfterHandling() => new(FaultKind.DropAfterHandling);

    public static ServerFault Latency(TimeSpan delay) => new(FaultKind.Latency, Delay: delay);
}

/// <summary>One request as the fake server saw it. <see cref="Status"/> is 0 when the connection was dropped.</summary>
sealed record RecordedRequest(
    string Method,
    string Path,
    string FullPath,
    string Query,
    string Body,
    long BodyLength,
    string? ContentType,
    long? ContentLength,
    bool Chunked,
    string? Authorization,
    string? UserAgent,
    int Status,
    FaultKind? Fault)
{
    /// <summary>The request line and body as text (for "no secret anywhere" checks; the Authorization header is separate).</summary>
    public override string ToString() => $"{Method} {FullPath}{Query} {Body}";
}
