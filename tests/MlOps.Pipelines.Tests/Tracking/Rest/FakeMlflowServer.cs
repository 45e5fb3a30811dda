using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MlOps.Pipelines.Tests.Tracking.Rest;

/// <summary>
/// An in-process MLflow tracking server (Kestrel on 127.0.0.1, a free port) that follows
/// ../shared/specs/mlflow-compat.md strictly: HTML 404/405 for routing errors, Content-Type checks, required fields
/// (<c>""</c> = missing), field types, unknown fields REJECTED (stricter than MLflow), limits, param overwrite
/// conflicts, alias rules, MLflow's <c>{error_code, message}</c> errors with their statuses. It keeps state (the Fake* types in
/// FakeMlflowState.cs), records every request, and injects faults per request (<see cref="Inject"/>).
/// </summary>
sealed partial class FakeMlflowServer : IAsyncDisposable
{
    readonly Lock _lock = new();
    readonly List<RecordedRequest> _requests = [];
    readonly List<PendingFault> _faults = [];
    readonly Dictionary<string, Dictionary<string, Route>> _routes;
    WebApplication? _app;

    FakeMlflowServer(string pathPrefix)
    {
        PathPrefix = pathPrefix.TrimEnd('/');
        _routes = BuildRoutes();
        _experiments["0"] = new FakeExperiment { Id = "0", Name = "Default", ArtifactLocation = DefaultArtifactRoot + "/0", CreationTime = Now(), LastUpdateTime = Now() };
    }

    /// <summary>
    /// Starts a server; <paramref name="pathPrefix"/> (e.g. "/mlflow") puts every route under it, as behind a reverse
    /// proxy; <paramref name="port"/> 0 takes a free port (another: a server coming back where one was down).
    /// </summary>
    public static async Task<FakeMlflowServer> StartAsync(string pathPrefix = "", int port = 0)
    {
        var server = new FakeMlflowServer(pathPrefix);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(options =>
        {
            options.Listen(IPAddress.Loopback, port);
            options.Limits.MaxRequestBodySize = null;
            options.AddServerHeader = false;
        });
        var app = builder.Build();
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        var root = new Uri(address);
        server.Authority = root.Authority;
        server.BaseUri = new Uri($"http://{root.Authority}{server.PathPrefix}");
        server._app = app;
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is null) return;
        using (var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(1)))
            await _app.StopAsync(stopping.Token);
        await _app.DisposeAsync();
        _app = null;
    }

    /// <summary>"/mlflow" or "".</summary>
    public string PathPrefix { get; }

    /// <summary>"127.0.0.1:&lt;port&gt;".</summary>
    public string Authority { get; private set; } = "";

    /// <summary>The tracking URI to give a client: http://127.0.0.1:&lt;port&gt;&lt;prefix&gt;.</summary>
    public Uri BaseUri { get; private set; } = null!;

    /// <summary>An absolute URL for a path under the prefix, e.g. <c>Url("/api/2.0/mlflow/runs/get?run_id=x")</c>.</summary>
    public Uri Url(string path) => new(BaseUri.AbsoluteUri.TrimEnd('/') + path);

    /// <summary>When set, every request must carry exactly this Authorization header, else 401 (plain text, as MLflow's auth app).</summary>
    public string? RequiredAuthorization { get; set; }

    /// <summary>New experiments get <c>{root}/{experiment_id}</c> as artifact_location ("mlflow-artifacts:" = the proxy, as `mlflow server` with no --default-artifact-root).</summary>
    public string DefaultArtifactRoot { get; set; } = "mlflow-artifacts:";

    /// <summary>When set, runs/search, model-versions/search, metrics/get-history and artifacts/list answer at most this many items per page.</summary>
    public int? PageSize { get; set; }

    /// <summary>Every request so far, in arrival order.</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get { lock (_lock) return [.. _requests]; }
    }

    /// <summary>How many requests went to a path containing <paramref name="endpoint"/> (e.g. "/mlflow/runs/create").</summary>
    public int Count(string endpoint) => Requests.Count(r => r.Path.Contains(endpoint, StringComparison.Ordinal));

    /// <summary>
    /// Applies <paramref name="fault"/> to the next <paramref name="times"/> requests whose path contains
    /// <paramref name="endpoint"/> (any request when null). Faults are used in the order they were injected.
    /// Example: <c>server.Inject(ServerFault.Unavailable(), "/mlflow/runs/create", times: 2)</c>.
    /// </summary>
    public void Inject(ServerFault fault, string? endpoint = null, int times = 1)
    {
        lock (_lock) _faults.Add(new PendingFault(fault, endpoint, times));
    }

    /// <summary>Faults not yet used.</summary>
    public int PendingFaults
    {
        get { lock (_lock) return _faults.Sum(f => f.Remaining); }
    }

    sealed class PendingFault(ServerFault fault, string? endpoint, int remaining)
    {
        public ServerFault Fault { get; } = fault;
        public string? Endpoint { get; } = endpoint;
        public int Remaining { get; set; } = remaining;
    }

    ServerFault? TakeFault(string path)
    {
        lock (_lock)
        {
            var pending = _faults.FirstOrDefault(f => f.Endpoint is null || path.Contains(f.Endpoint, StringComparison.Ordinal));
            if (pending is null) return TakeRandomFault();
            if (--pending.Remaining == 0) _faults.Remove(pending);
            return pending.Fault;
        }
    }

    // State access for tests (read after the calls completed).

    public FakeRun Run(string runId)
    {
        lock (_lock) return _runs[runId];
    }

    public IReadOnlyList<FakeRun> Runs
    {
        get { lock (_lock) return [.. _runs.Values]; }
    }

    public FakeExperiment Experiment(string name)
    {
        lock (_lock) return _experiments.Values.Single(e => e.Name == name);
    }

    public FakeModel Model(string name)
    {
        lock (_lock) return _models[name];
    }

    /// <summary>The bytes stored under a proxy path (e.g. "1/&lt;run&gt;/artifacts/model/MLmodel"), or null.</summary>
    public byte[]? Artifact(string path)
    {
        lock (_lock) return _artifacts.TryGetValue(path, out var bytes) ? bytes : null;
    }

    public IReadOnlyList<string> ArtifactPaths
    {
        get { lock (_lock) return [.. _artifacts.Keys.Order(StringComparer.Ordinal)]; }
    }

    /// <summary>Soft-deletes a run (as runs/delete would), for "writes to a deleted run" tests.</summary>
    public void DeleteRun(string runId)
    {
        lock (_lock) _runs[runId].LifecycleStage = "deleted";
    }

    // The request pipeline.

    sealed record Call(string Method, string? Path, string RawPath, string Query, byte[] Body, string? ContentType, string? Authorization);

    sealed record FakeResponse(int Status, string ContentType, byte[] Body, string? RetryAfter = null, string? Allow = null, string? WwwAuthenticate = null);

    sealed record Route(Field[] Fields, Func<JsonElement, FakeResponse> Handler);

    async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var rawTarget = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        var queryStart = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var rawPath = queryStart < 0 ? rawTarget : rawTarget[..queryStart];
        var query = queryStart < 0 ? "" : rawTarget[queryStart..];
        byte[] body;
        try
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, context.RequestAborted);
            body = buffer.ToArray();
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or BadHttpRequestException)
        {
            return; // the client went away
        }

        string? path = null;
        if (PathPrefix.Length == 0) path = rawPath;
        else if (rawPath == PathPrefix) path = "/";
        else if (rawPath.StartsWith(PathPrefix + "/", StringComparison.Ordinal)) path = rawPath[PathPrefix.Length..];

        var call = new Call(request.Method, path, rawPath, query, body, request.ContentType, request.Headers.Authorization.FirstOrDefault());
        var fault = TakeFault(path ?? rawPath);

        if (fault?.Kind == FaultKind.Latency)
        {
            try
            {
                await Task.Delay(fault.Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                Record(context, call, 0, fault.Kind); // the client gave up: nothing was applied
                return;
            }
        }
        if (fault?.Kind == FaultKind.DropBeforeHandling)
        {
            Record(context, call, 0, fault.Kind);
            context.Abort();
            return;
        }

        var response = fault?.Kind == FaultKind.Status
            ? new FakeResponse(fault.StatusCode, fault.ContentType, Encoding.UTF8.GetBytes(fault.Body ?? ""), fault.RetryAfter)
            : Dispatch(call);
        if (fault?.Kind == FaultKind.StatusAfterHandling)
            response = new FakeResponse(fault.StatusCode, fault.ContentType, Encoding.UTF8.GetBytes(fault.Body ?? ""), fault.RetryAfter);

        if (fault?.Kind == FaultKind.DropAfterHandling)
        {
            Record(context, call, 0, fault.Kind); // applied, but the answer is lost
            context.Abort();
            return;
        }

        Record(context, call, response.Status, fault?.Kind);
        context.Response.StatusCode = response.Status;
        context.Response.ContentType = response.ContentType;
        context.Response.ContentLength = response.Body.Length;
        if (response.RetryAfter is not null) context.Response.Headers.RetryAfter = response.RetryAfter;
        if (response.Allow is not null) context.Response.Headers.Allow = response.Allow;
        if (response.WwwAuthenticate is not null) context.Response.Headers.WWWAuthenticate = response.WwwAuthenticate;
        try
        {
            await context.Response.Body.WriteAsync(response.Body, context.RequestAborted);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
        }
    }

    void Record(HttpContext context, Call call, int status, FaultKind? fault)
    {
        var request = context.Request;
        var isJson = call.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true;
        var recorded = new RecordedRequest(
            call.Method,
            call.Path ?? call.RawPath,
            call.RawPath,
            call.Query,
            // Artefact bytes are kept in the store, not in the log; text bodies are logged whole.
            isJson || call.Body.Length < 64 * 1024 ? Encoding.UTF8.GetString(call.Body) : $"<{call.Body.Length} bytes>",
            call.Body.Length,
            call.ContentType,
            request.ContentLength,
            request.Headers.TransferEncoding.Any(v => v?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true),
            call.Authorization,
            request.Headers.UserAgent.FirstOrDefault(),
            status,
            fault);
        lock (_lock) _requests.Add(recorded);
    }

    FakeResponse Dispatch(Call call)
    {
        if (RequiredAuthorization is not null && call.Authorization != RequiredAuthorization)
            return new FakeResponse(401, "text/plain; charset=utf-8",
                Encoding.UTF8.GetBytes("You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate."),
                WwwAuthenticate: "Basic realm=\"mlflow\"");
        if (call.Path is null) return NotFoundHtml();
        if (call.Path is "/health" or "/version")
            return call.Method == "GET"
                ? new FakeResponse(200, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(call.Path == "/health" ? "OK" : "2.22.0"))
                : MethodNotAllowedHtml(["GET"]);
        try
        {
            if (call.Path == ArtifactsPath || call.Path.StartsWith(ArtifactsPath + "/", StringComparison.Ordinal))
                return Artifacts(call);
            if (!_routes.TryGetValue(call.Path, out var methods)) return NotFoundHtml();
            if (!methods.TryGetValue(call.Method, out var route)) return MethodNotAllowedHtml(methods.Keys);

            JsonElement message;
            if (call.Method == "GET")
            {
                if (call.Body.Length > 0) throw FakeMlflowError.Invalid("A GET request carries its message as query parameters, not a body.");
                message = FakeSchema.FromQuery(ParseQuery(call.Query), route.Fields);
            }
            else
            {
                if (!IsJsonContentType(call.ContentType))
                    throw FakeMlflowError.Invalid("Bad Request. Content-Type must be one of ['application/json'].");
                if (call.Query.Length > 1) throw FakeMlflowError.Invalid($"A {call.Method} request carries its message as a JSON body; MLflow ignores query parameters.");
                try
                {
                    using var document = JsonDocument.Parse(call.Body);
                    message = document.RootElement.Clone();
                }
                catch (JsonException e)
                {
                    throw FakeMlflowError.Invalid("Malformed JSON body: " + e.Message);
                }
                if (call.Path.EndsWith("/log-batch", StringComparison.Ordinal) && call.Body.Length > 1024 * 1024)
                    throw FakeMlflowError.Invalid($"Batched logging API requests must be at most 1048576 bytes, got {call.Body.Length}.");
                FakeSchema.Validate(message, route.Fields);
            }
            lock (_lock) return route.Handler(message);
        }
        catch (FakeMlflowError e)
        {
            return Error(e);
        }
    }

    static bool IsJsonContentType(string? contentType)
    {
        if (contentType is null) return false;
        var mediaType = contentType.Split(';')[0].Trim();
        return string.Equals(mediaType, "application/json", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Query parameters as werkzeug decodes them ('+' is a space, %XX escapes).</summary>
    static List<KeyValuePair<string, string>> ParseQuery(string query)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var part in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            var key = equals < 0 ? part : part[..equals];
            var value = equals < 0 ? "" : part[(equals + 1)..];
            pairs.Add(KeyValuePair.Create(Decode(key), Decode(value)));
        }
        return pairs;

        static string Decode(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));
    }

    static FakeResponse NotFoundHtml() => new(404, "text/html; charset=utf-8", Encoding.UTF8.GetBytes(
        "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n"));

    static FakeResponse MethodNotAllowedHtml(IEnumerable<string> allowed) => new(405, "text/html; charset=utf-8", Encoding.UTF8.GetBytes(
        "<!doctype html>\n<html lang=en>\n<title>405 Method Not Allowed</title>\n<h1>Method Not Allowed</h1>\n<p>The method is not allowed for the requested URL.</p>\n"),
        Allow: string.Join(", ", allowed));

    static FakeResponse Error(FakeMlflowError error) =>
        Json(error.Status, w =>
        {
            w.WriteString("error_code", error.Code);
            w.WriteString("message", error.Message);
        });

    static FakeResponse Json(Action<Utf8JsonWriter> write) => Json(200, write);

    static FakeResponse Json(int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }
        return new FakeResponse(status, "application/json", buffer.WrittenSpan.ToArray());
    }

    static FakeResponse Empty() => Json(_ => { });

    static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    static void WriteDouble(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsNaN(value)) w.WriteString(name, "NaN");
        else if (double.IsPositiveInfinity(value)) w.WriteString(name, "Infinity");
        else if (double.IsNegativeInfinity(value)) w.WriteString(name, "-Infinity");
        else w.WriteNumber(name, value);
    }

    /// <summary>Writes <c>name: [{key, value}]</c>, omitted when empty (as MLflow omits empty repeated fields).</summary>
    static void WriteKeyValues(Utf8JsonWriter w, string name, IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var list = pairs.ToList();
        if (list.Count == 0) return;
        w.WriteStartArray(name);
        foreach (var (key, value) in list)
        {
            w.WriteStartObject();
            w.WriteString("key", key);
            w.WriteString("value", value);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    static string PageToken(int offset) => Convert.ToBase64String(Encoding.UTF8.GetBytes($$"""{"offset": {{offset}}}"""));

    static int ParsePageToken(string? token)
    {
        if (token is null) return 0;
        try
        {
            using var document = JsonDocument.Parse(Convert.FromBase64String(token));
            return document.RootElement.GetProperty("offset").GetInt32();
        }
        catch (Exception e) when (e is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw FakeMlflowError.Invalid($"Invalid page token, could not base64-decode or parse: '{token}'");
        }
    }

    /// <summary>One page of <paramref name="items"/>, and the next page's token when more remain.</summary>
    (List<T> Page, string? Next) Paginate<T>(IReadOnlyList<T> items, string? pageToken, long? maxResults)
    {
        var offset = ParsePageToken(pageToken);
        var size = (int)Math.Min(maxResults ?? int.MaxValue, PageSize ?? int.MaxValue);
        var page = items.Skip(offset).Take(size).ToList();
        return (page, offset + page.Count < items.Count ? PageToken(offset + page.Count) : null);
    }
}
