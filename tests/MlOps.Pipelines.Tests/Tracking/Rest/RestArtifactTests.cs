using MlOps.Pipelines.Tracking;
using MlOps.Pipelines.Tracking.Rest;

namespace MlOps.Pipelines.Tests.Tracking.Rest;

public sealed class RestArtifactTests : RestTestBase, IDisposable
{
    readonly string _directory = Path.Combine(Path.GetTempPath(), "mlops-rest-" + Guid.NewGuid().ToString("N")[..12]);

    public RestArtifactTests() => Directory.CreateDirectory(_directory);

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { }
    }

    string WriteFile(string name, byte[] bytes)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public async Task A_multi_megabyte_file_is_streamed_with_its_length_and_arrives_intact()
    {
        var (experiment, run) = await F.NewRunAsync();
        var bytes = RandomBytes(6 * 1024 * 1024 + 123, seed: 1);
        var file = WriteFile("model.onnx", bytes);

        await F.Store.LogArtifactAsync(run.RunId, file, "model/model.onnx", default);

        Assert.Equal(bytes, F.Server.Artifact($"{experiment}/{run.RunId}/artifacts/model/model.onnx"));
        var put = F.Server.Requests.Single(r => r.Method == "PUT");
        Assert.Equal($"/api/2.0/mlflow-artifacts/artifacts/{experiment}/{run.RunId}/artifacts/model/model.onnx", put.Path);
        Assert.Equal(bytes.Length, put.ContentLength);
        Assert.False(put.Chunked);
        Assert.Equal("application/octet-stream", put.ContentType);
        // The artefact URI came with runs/create: no extra runs/get.
        Assert.Equal(0, F.Server.Count("/runs/get"));
    }

    [Fact]
    public async Task An_upload_is_retried_with_the_whole_file_again()
    {
        var (experiment, run) = await F.NewRunAsync();
        var bytes = RandomBytes(300_000, seed: 2);
        var file = WriteFile("data.bin", bytes);
        F.Server.Inject(ServerFault.Unavailable(), "/mlflow-artifacts/");
        F.Server.Inject(ServerFault.DropBeforeHandling(), "/mlflow-artifacts/");

        await F.Store.LogArtifactAsync(run.RunId, file, "data.bin", default);

        var puts = F.Server.Requests.Where(r => r.Method == "PUT").ToList();
        Assert.Equal(3, puts.Count);
        Assert.All(puts, p => Assert.Equal(bytes.Length, p.BodyLength));
        Assert.Equal(bytes, F.Server.Artifact($"{experiment}/{run.RunId}/artifacts/data.bin"));
    }

    [Fact]
    public async Task The_artifact_uri_is_read_from_the_run_when_the_store_did_not_create_it()
    {
        var (experiment, run) = await F.NewRunAsync();
        var other = F.CreateStore();
        await other.LogArtifactAsync(run.RunId, WriteFile("a.txt", [1, 2, 3]), "a.txt", default);
        Assert.Equal(1, F.Server.Count("/runs/get"));
        Assert.Equal([1, 2, 3], F.Server.Artifact($"{experiment}/{run.RunId}/artifacts/a.txt"));
    }

    [Fact]
    public async Task Artifacts_are_listed_recursively_relative_to_the_run_root()
    {
        var (_, run) = await F.NewRunAsync();
        var file = WriteFile("f", [42]);
        foreach (var path in new[] { "model/MLmodel", "model/data/weights.bin", "model/data/deep/x.json", "metrics.json", "a b/c d.txt" })
            await F.Store.LogArtifactAsync(run.RunId, file, path, default);

        Assert.Equal(["a b/c d.txt", "metrics.json", "model/MLmodel", "model/data/deep/x.json", "model/data/weights.bin"], await F.Store.ListArtifactsAsync(run.RunId, null, default));
        Assert.Equal(["model/MLmodel", "model/data/deep/x.json", "model/data/weights.bin"], await F.Store.ListArtifactsAsync(run.RunId, "model", default));
        Assert.Equal(["model/data/deep/x.json", "model/data/weights.bin"], await F.Store.ListArtifactsAsync(run.RunId, "model/data/", default));
        Assert.Empty(await F.Store.ListArtifactsAsync(run.RunId, "missing", default));
        Assert.Contains(F.Server.Requests, r => r.Path == "/api/2.0/mlflow/artifacts/list" && r.Query.Contains("path=model%2Fdata", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Artifact_listing_follows_page_tokens()
    {
        F.Server.PageSize = 2;
        var (_, run) = await F.NewRunAsync();
        var file = WriteFile("f", [1]);
        for (var i = 0; i < 5; i++) await F.Store.LogArtifactAsync(run.RunId, file, $"f{i}", default);

        Assert.Equal(["f0", "f1", "f2", "f3", "f4"], await F.Store.ListArtifactsAsync(run.RunId, null, default));
        Assert.Equal(3, F.Server.Count("/mlflow/artifacts/list"));
    }

    [Fact]
    public async Task A_netloc_in_the_artifact_uri_sends_the_bytes_to_that_host()
    {
        await using var artifactServer = await FakeMlflowServer.StartAsync();
        F.Server.DefaultArtifactRoot = $"mlflow-artifacts://{artifactServer.Authority}";
        var (experiment, run) = await F.NewRunAsync();
        Assert.Equal($"mlflow-artifacts://{artifactServer.Authority}/{experiment}/{run.RunId}/artifacts", run.ArtifactUri);

        await F.Store.LogArtifactAsync(run.RunId, WriteFile("m", [7]), "model/MLmodel", default);

        Assert.Equal([7], artifactServer.Artifact($"{experiment}/{run.RunId}/artifacts/model/MLmodel"));
        Assert.Empty(F.Server.ArtifactPaths);
    }

    [Fact]
    public async Task An_http_artifact_uri_is_used_as_it_is()
    {
        await using var artifactServer = await FakeMlflowServer.StartAsync("/store");
        F.Server.DefaultArtifactRoot = artifactServer.Url("/api/2.0/mlflow-artifacts/artifacts/shared").AbsoluteUri;
        var (experiment, run) = await F.NewRunAsync();

        await F.Store.LogArtifactAsync(run.RunId, WriteFile("m", [8]), "model/MLmodel", default);

        Assert.Equal([8], artifactServer.Artifact($"shared/{experiment}/{run.RunId}/artifacts/model/MLmodel"));
        Assert.Equal($"/store/api/2.0/mlflow-artifacts/artifacts/shared/{experiment}/{run.RunId}/artifacts/model/MLmodel", artifactServer.Requests.Single().FullPath);
    }

    [Theory]
    [InlineData("file:///srv/mlruns")]
    [InlineData("s3://bucket/mlflow")]
    [InlineData("/srv/mlruns")]
    public async Task An_artifact_uri_the_server_does_not_proxy_is_a_clear_error(string root)
    {
        F.Server.DefaultArtifactRoot = root;
        var (_, run) = await F.NewRunAsync();

        var error = await Assert.ThrowsAsync<TrackingException>(() => F.Store.LogArtifactAsync(run.RunId, WriteFile("m", [1]), "model/MLmodel", default));

        Assert.Equal("INVALID_PARAMETER_VALUE", error.ErrorCode);
        Assert.False(error.Transient);
        Assert.Contains(run.ArtifactUri, error.Message, StringComparison.Ordinal);
        Assert.Contains("--serve-artifacts", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(F.Server.Requests, r => r.Method == "PUT");
    }

    [Theory]
    [InlineData("../escape.txt")]
    [InlineData("model/../../x")]
    [InlineData("/absolute")]
    [InlineData("a//b")]
    [InlineData("a\\b")]
    [InlineData("model/")]
    [InlineData("./x")]
    [InlineData("")]
    public async Task Bad_artifact_paths_are_rejected_before_sending(string path)
    {
        var (_, run) = await F.NewRunAsync();
        var before = F.Server.Requests.Count;
        var error = await Assert.ThrowsAsync<TrackingException>(() => F.Store.LogArtifactAsync(run.RunId, WriteFile("m", [1]), path, default));
        Assert.Equal("INVALID_PARAMETER_VALUE", error.ErrorCode);
        Assert.Equal(before, F.Server.Requests.Count);
    }

    [Theory]
    [InlineData("1/..%2Fx")] // HttpClient would normalise a plain ../ away; an encoded slash reaches the server
    [InlineData("1/a%5Cb")]
    [InlineData("%2Fabs")]
    public async Task The_fake_server_rejects_traversal_in_a_raw_put_too(string path)
    {
        using var http = new HttpClient();
        var response = await http.PutAsync(F.Server.Url("/api/2.0/mlflow-artifacts/artifacts/" + path), new ByteArrayContent([1]));
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Contains("INVALID_PARAMETER_VALUE", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(F.Server.ArtifactPaths);
    }

    [Fact]
    public async Task A_missing_local_file_is_reported_before_any_request()
    {
        var (_, run) = await F.NewRunAsync();
        var before = F.Server.Requests.Count;
        await Assert.ThrowsAsync<FileNotFoundException>(() => F.Store.LogArtifactAsync(run.RunId, Path.Combine(_directory, "nope"), "x", default));
        Assert.Equal(before, F.Server.Requests.Count);
    }

    [Fact]
    public async Task A_file_that_disappears_between_attempts_is_a_file_error_not_a_connection_error()
    {
        var (_, run) = await F.NewRunAsync();
        var file = WriteFile("gone", [1]);
        using var store = new RestTrackingStore(
            RestTrackingOptions.FromEnvironment(new Dictionary<string, string> { [RestTrackingOptions.TrackingUriVariable] = F.Server.BaseUri.AbsoluteUri }),
            new RestClientHooks
            {
                Delay = (_, _) =>
                {
                    File.Delete(file);
                    return Task.CompletedTask;
                },
            });
        F.Server.Inject(ServerFault.Unavailable(), "/mlflow-artifacts/");

        await Assert.ThrowsAsync<FileNotFoundException>(() => store.LogArtifactAsync(run.RunId, file, "gone", default));

        Assert.Single(F.Server.Requests, r => r.Method == "PUT");
    }

    [Fact]
    public async Task A_failed_upload_is_an_error_with_the_servers_code()
    {
        var (_, run) = await F.NewRunAsync();
        F.Server.Inject(ServerFault.Answer(403, """{"error_code": "PERMISSION_DENIED", "message": "read-only"}"""), "/mlflow-artifacts/");
        var error = await Assert.ThrowsAsync<TrackingException>(() => F.Store.LogArtifactAsync(run.RunId, WriteFile("m", [1]), "m", default));
        Assert.Equal("PERMISSION_DENIED", error.ErrorCode);
        Assert.Equal(403, error.HttpStatus);
    }
}
