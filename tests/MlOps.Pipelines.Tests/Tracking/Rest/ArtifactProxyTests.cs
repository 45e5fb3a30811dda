using MlOps.Pipelines.Tracking;
using MlOps.Pipelines.Tracking.Rest;

namespace MlOps.Pipelines.Tests.Tracking.Rest;

/// <summary>Spec §3: mapping a run's artifact_uri to the proxy URL.</summary>
public sealed class ArtifactProxyTests
{
    [Theory]
    // The spec's example.
    [InlineData("http://ml:5000", "mlflow-artifacts:/3/9f0c/artifacts", "http://ml:5000/api/2.0/mlflow-artifacts/artifacts/3/9f0c/artifacts")]
    // The tracking URI's path prefix and scheme.
    [InlineData("https://host/mlflow", "mlflow-artifacts:/1/abc/artifacts", "https://host/mlflow/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts")]
    [InlineData("https://host/mlflow/", "mlflow-artifacts:/1/abc/artifacts", "https://host/mlflow/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts")]
    // A netloc in the artifact URI wins over the tracking host; the scheme stays the tracking URI's.
    [InlineData("https://ml", "mlflow-artifacts://h:5001/1/abc/artifacts", "https://h:5001/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts")]
    [InlineData("http://ml:5000/p", "mlflow-artifacts://other/x", "http://other/p/api/2.0/mlflow-artifacts/artifacts/x")]
    // Duplicate slashes collapsed, trailing slash removed; an empty netloc is no netloc.
    [InlineData("http://ml:5000", "mlflow-artifacts:///1//abc/artifacts/", "http://ml:5000/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts")]
    [InlineData("http://ml:5000", "mlflow-artifacts:", "http://ml:5000/api/2.0/mlflow-artifacts/artifacts")]
    [InlineData("http://ml:5000", "mlflow-artifacts:1/abc", "http://ml:5000/api/2.0/mlflow-artifacts/artifacts/1/abc")]
    // http(s) artifact URIs are used as they are.
    [InlineData("http://ml:5000", "https://files.example.com/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/", "https://files.example.com/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts")]
    public void Artifact_uris_map_to_proxy_urls(string tracking, string artifactUri, string expected)
    {
        var options = new RestTrackingOptions(new Uri(tracking));
        Assert.Equal(expected, ArtifactProxy.ResolveRoot(options.TrackingUri, artifactUri).AbsoluteUri);
    }

    [Fact]
    public void A_file_url_escapes_each_segment()
    {
        var root = ArtifactProxy.ResolveRoot(new Uri("http://ml:5000"), "mlflow-artifacts:/3/r/artifacts");
        Assert.Equal("http://ml:5000/api/2.0/mlflow-artifacts/artifacts/3/r/artifacts/model/MLmodel", ArtifactProxy.FileUrl(root, ["model", "MLmodel"]).AbsoluteUri);
        Assert.Equal("http://ml:5000/api/2.0/mlflow-artifacts/artifacts/3/r/artifacts/a%20b/c%23d%3Fe%25", ArtifactProxy.FileUrl(root, ["a b", "c#d?e%"]).AbsoluteUri);
    }

    [Theory]
    [InlineData("file:///srv/mlruns/1/abc/artifacts")]
    [InlineData("s3://bucket/1/abc/artifacts")]
    [InlineData("gs://bucket/x")]
    [InlineData("/srv/mlruns/1/abc/artifacts")]
    [InlineData("relative/path")]
    [InlineData("")]
    public void Other_schemes_are_not_proxied(string artifactUri)
    {
        var error = Assert.Throws<TrackingException>(() => ArtifactProxy.ResolveRoot(new Uri("http://ml:5000"), artifactUri));
        Assert.Equal("INVALID_PARAMETER_VALUE", error.ErrorCode);
        Assert.Contains("only mlflow-artifacts: and http(s) artefact URIs go through the tracking server", error.Message, StringComparison.Ordinal);
    }
}
