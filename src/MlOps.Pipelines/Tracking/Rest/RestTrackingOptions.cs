using System.Globalization;
using System.Net.Http.Headers;
using System.Text;

namespace MlOps.Pipelines.Tracking.Rest;

/// <summary>
/// How to reach an MLflow tracking server, read from MLflow's own environment variables (spec §5). A class, not a
/// record: a generated ToString would print the credentials.
/// </summary>
internal sealed class RestTrackingOptions
{
    public const string TrackingUriVariable = "MLFLOW_TRACKING_URI";
    public const string TokenVariable = "MLFLOW_TRACKING_TOKEN";
    public const string UsernameVariable = "MLFLOW_TRACKING_USERNAME";
    public const string PasswordVariable = "MLFLOW_TRACKING_PASSWORD";
    public const string InsecureTlsVariable = "MLFLOW_TRACKING_INSECURE_TLS";
    public const string ServerCertVariable = "MLFLOW_TRACKING_SERVER_CERT_PATH";
    public const string ClientCertVariable = "MLFLOW_TRACKING_CLIENT_CERT_PATH";
    public const string MaxRetriesVariable = "MLFLOW_HTTP_REQUEST_MAX_RETRIES";
    public const string BackoffFactorVariable = "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR";
    public const string BackoffJitterVariable = "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER";
    public const string TimeoutVariable = "MLFLOW_HTTP_REQUEST_TIMEOUT";
    public const string RespectRetryAfterVariable = "MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER";

    /// <summary>The longest computed backoff (urllib3's backoff_max); a Retry-After header may ask for more.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(120);

    readonly AuthenticationHeaderValue? _authorization;

    public RestTrackingOptions(Uri trackingUri, AuthenticationHeaderValue? authorization = null)
    {
        if (!trackingUri.IsAbsoluteUri || (trackingUri.Scheme != Uri.UriSchemeHttp && trackingUri.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException("The tracking URI must be an absolute http or https URI.", nameof(trackingUri));
        if (!string.IsNullOrEmpty(trackingUri.UserInfo))
            throw new ArgumentException("The tracking URI must not carry credentials.", nameof(trackingUri));
        // Keep scheme, authority and path prefix; drop query, fragment and the trailing slash.
        var prefix = trackingUri.AbsolutePath.TrimEnd('/');
        TrackingUri = new Uri(trackingUri.GetLeftPart(UriPartial.Authority) + prefix, UriKind.Absolute);
        _authorization = authorization;
    }

    /// <summary>The server's base URI (scheme, host, port and path prefix), without a trailing slash.</summary>
    public Uri TrackingUri { get; }

    /// <summary>The base URI as text, for messages (never holds credentials).</summary>
    public string Location => TrackingUri.AbsoluteUri.TrimEnd('/');

    public bool InsecureTls { get; init; }

    /// <summary>Retries after the first attempt (MLflow: default 7, must be below 10).</summary>
    public int MaxRetries { get; init; } = 7;

    /// <summary>Seconds; the delay before retry n ≥ 2 is factor·2^(n−1), capped at <see cref="MaxBackoff"/>.</summary>
    public double BackoffFactor { get; init; } = 2;

    /// <summary>Seconds; a random [0, jitter) is added to each computed backoff.</summary>
    public double BackoffJitter { get; init; } = 1.0;

    /// <summary>Per attempt (artefact uploads get more, by size).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);

    public bool RespectRetryAfter { get; init; } = true;

    /// <summary>The Authorization header for every request, or null. Never put it in a message.</summary>
    internal AuthenticationHeaderValue? Authorization => _authorization;

    /// <summary>Which kind of credentials are configured ("Basic", "Bearer" or "none"), for messages.</summary>
    public string AuthenticationScheme => _authorization?.Scheme ?? "none";

    public override string ToString() => $"{Location} (auth: {AuthenticationScheme})";

    public static RestTrackingOptions FromEnvironment(IReadOnlyDictionary<string, string> environment) =>
        FromEnvironment(name => environment.TryGetValue(name, out var value) ? value : null);

    /// <summary>Reads the MLflow variables through <paramref name="lookup"/> (null or empty = unset).</summary>
    /// <exception cref="RestTrackingConfigurationException">A variable is missing or has an invalid value (the message names it).</exception>
    public static RestTrackingOptions FromEnvironment(Func<string, string?> lookup)
    {
        string? Get(string name) => lookup(name) is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

        var uri = ParseTrackingUri(Get(TrackingUriVariable));
        if (Get(ServerCertVariable) is not null)
            throw new RestTrackingConfigurationException($"{ServerCertVariable} is not supported by this client (use a CA trusted by the system, or {InsecureTlsVariable}=true for testing).");
        if (Get(ClientCertVariable) is not null)
            throw new RestTrackingConfigurationException($"{ClientCertVariable} is not supported by this client.");

        var username = Get(UsernameVariable);
        var password = lookup(PasswordVariable); // a password may legitimately be whitespace; never trimmed, never echoed
        var token = Get(TokenVariable);
        AuthenticationHeaderValue? authorization = null;
        // As the Python client: username and password (Basic) are checked first and win over a token.
        if (username is not null && !string.IsNullOrEmpty(password))
        {
            if (username.Contains(':', StringComparison.Ordinal))
                throw new RestTrackingConfigurationException($"{UsernameVariable} must not contain ':' (HTTP Basic authentication).");
            authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(username + ":" + password)));
        }
        else if (username is not null || !string.IsNullOrEmpty(password))
        {
            if (token is null)
                throw new RestTrackingConfigurationException($"{UsernameVariable} and {PasswordVariable} must be set together (HTTP Basic authentication).");
        }
        if (authorization is null && token is not null)
        {
            if (token.Any(char.IsControl))
                throw new RestTrackingConfigurationException($"{TokenVariable} contains control characters.");
            authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return new RestTrackingOptions(uri, authorization)
        {
            InsecureTls = ParseBool(InsecureTlsVariable, Get(InsecureTlsVariable), false),
            MaxRetries = (int)ParseNumber(MaxRetriesVariable, Get(MaxRetriesVariable), 7, 0, 9, integer: true, "a whole number from 0 to 9"),
            BackoffFactor = ParseNumber(BackoffFactorVariable, Get(BackoffFactorVariable), 2, 0, 119.999, integer: false, "a number of seconds from 0 to below 120"),
            BackoffJitter = ParseNumber(BackoffJitterVariable, Get(BackoffJitterVariable), 1.0, 0, 3600, integer: false, "a number of seconds from 0 to 3600"),
            Timeout = TimeSpan.FromSeconds(ParseNumber(TimeoutVariable, Get(TimeoutVariable), 120, 0.001, 86400, integer: false, "a positive number of seconds (at most 86400)")),
            RespectRetryAfter = ParseBool(RespectRetryAfterVariable, Get(RespectRetryAfterVariable), true),
        };
    }

    static Uri ParseTrackingUri(string? value)
    {
        if (value is null)
            throw new RestTrackingConfigurationException($"{TrackingUriVariable} is not set; expected the tracking server's address, e.g. http://localhost:5000.");
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || string.IsNullOrEmpty(uri.Host))
            // The value is not echoed: a malformed URI may still hold a password.
            throw new RestTrackingConfigurationException($"{TrackingUriVariable} must be an http:// or https:// address (with an optional path prefix) for the REST store.");
        if (!string.IsNullOrEmpty(uri.UserInfo))
            throw new RestTrackingConfigurationException($"{TrackingUriVariable} must not contain credentials; use {UsernameVariable}/{PasswordVariable} or {TokenVariable}.");
        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
            throw new RestTrackingConfigurationException($"{TrackingUriVariable} must not have a query or fragment: '{uri.GetLeftPart(UriPartial.Path)}...'.");
        return uri;
    }

    static bool ParseBool(string name, string? value, bool fallback) => value?.ToLowerInvariant() switch
    {
        null => fallback,
        "true" or "1" => true,
        "false" or "0" => false,
        _ => throw new RestTrackingConfigurationException($"{name} must be 'true' or 'false', not '{value}'."),
    };

    static double ParseNumber(string name, string? value, double fallback, double min, double max, bool integer, string expected)
    {
        if (value is null) return fallback;
        var style = integer ? NumberStyles.Integer : NumberStyles.Float;
        if (!double.TryParse(value, style, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number) || number < min || number > max)
            throw new RestTrackingConfigurationException($"{name} must be {expected}, not '{value}'.");
        return number;
    }
}

/// <summary>The MLflow environment variables do not describe a usable server (the message names the variable).</summary>
internal sealed class RestTrackingConfigurationException(string message) : Exception(message);
