namespace MlOps.Pipelines.Tracking.Rest;

/// <summary>
/// Where a run's artefacts go when the server proxies them (spec §3, MLflow's <c>MlflowArtifactsRepository.resolve_uri</c>).
/// </summary>
internal static class ArtifactProxy
{
    const string Scheme = "mlflow-artifacts:";
    const string ProxyPath = "/api/2.0/mlflow-artifacts/artifacts/";

    /// <summary>
    /// The URL under which a run's artefacts are PUT: <c>mlflow-artifacts:[//netloc]/P</c> maps to
    /// <c>{tracking scheme}://{netloc or tracking host}{tracking prefix}/api/2.0/mlflow-artifacts/artifacts/P</c> (duplicate
    /// slashes collapsed, no trailing slash); an http(s) artifact URI is used as it is. Any other scheme (file:, s3:, ...)
    /// means the server does not proxy artefacts: an error.
    /// </summary>
    public static Uri ResolveRoot(Uri trackingUri, string artifactUri)
    {
        if (artifactUri.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            var rest = artifactUri[Scheme.Length..];
            var authority = trackingUri.Authority;
            if (rest.StartsWith("//", StringComparison.Ordinal))
            {
                var end = rest.IndexOf('/', 2);
                var netloc = end < 0 ? rest[2..] : rest[2..end];
                rest = end < 0 ? "" : rest[end..];
                if (netloc.Length > 0) authority = netloc;
            }
            var path = CollapseSlashes(trackingUri.AbsolutePath.TrimEnd('/') + ProxyPath + rest).TrimEnd('/');
            if (!Uri.TryCreate($"{trackingUri.Scheme}://{authority}{path}", UriKind.Absolute, out var resolved))
                throw NotProxied(artifactUri, "it does not form a valid URL");
            return resolved;
        }

        if (Uri.TryCreate(artifactUri, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            return new Uri(uri.AbsoluteUri.TrimEnd('/'), UriKind.Absolute);

        throw NotProxied(artifactUri, "only mlflow-artifacts: and http(s) artefact URIs go through the tracking server; " +
            "this one needs direct access to the artefact store, which this client does not have (start the server with --serve-artifacts " +
            "and no --default-artifact-root pointing at a file or bucket)");
    }

    /// <summary>The URL of one file under <paramref name="root"/>, each segment escaped.</summary>
    public static Uri FileUrl(Uri root, IEnumerable<string> segments) =>
        new(root.AbsoluteUri.TrimEnd('/') + "/" + string.Join("/", segments.Select(Uri.EscapeDataString)), UriKind.Absolute);

    static string CollapseSlashes(string path)
    {
        while (path.Contains("//", StringComparison.Ordinal)) path = path.Replace("//", "/", StringComparison.Ordinal);
        return path;
    }

    static TrackingException NotProxied(string artifactUri, string why) =>
        new("INVALID_PARAMETER_VALUE", $"Cannot upload to the run's artefact location '{artifactUri}': {why}.", 400);
}
