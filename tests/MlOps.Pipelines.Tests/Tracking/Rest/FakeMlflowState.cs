using System.Text.RegularExpressions;

namespace MlOps.Pipelines.Tests.Tracking.Rest;

// What the fake MLflow server keeps. Tests read it (after the calls completed) to assert on what arrived.

sealed class FakeExperiment
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string ArtifactLocation { get; set; }
    public string LifecycleStage { get; set; } = "active";
    public long CreationTime { get; init; }
    public long LastUpdateTime { get; set; }
    public Dictionary<string, string> Tags { get; } = new(StringComparer.Ordinal);
}

sealed class FakeRun
{
    public required string RunId { get; init; }
    public required string ExperimentId { get; init; }
    public required string RunName { get; set; }
    public string Status { get; set; } = "RUNNING";
    public long StartTime { get; init; }
    public string UserId { get; init; } = "";
    public long? EndTime { get; set; }
    public required string ArtifactUri { get; set; }
    public string LifecycleStage { get; set; } = "active";
    public List<FakeMetric> Metrics { get; } = [];
    public Dictionary<string, string> Params { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> Tags { get; } = new(StringComparer.Ordinal);
    public List<FakeDatasetInput> Inputs { get; } = [];
}

sealed record FakeMetric(string Key, double Value, long Timestamp, long Step);

sealed record FakeDatasetInput(string Name, string Digest, string SourceType, string Source, string? Schema, string? Profile, IReadOnlyDictionary<string, string> Tags);

sealed class FakeModel
{
    public required string Name { get; init; }
    public long CreationTimestamp { get; init; }
    public long LastUpdatedTimestamp { get; set; }
    public string? Description { get; set; }
    public Dictionary<string, string> Tags { get; } = new(StringComparer.Ordinal);
    /// <summary>alias → version.</summary>
    public Dictionary<string, string> Aliases { get; } = new(StringComparer.Ordinal);
    public List<FakeModelVersion> Versions { get; } = [];
}

sealed class FakeModelVersion
{
    public required string Name { get; init; }
    public required string Version { get; init; }
    public long CreationTimestamp { get; init; }
    public required string Source { get; init; }
    public string? RunId { get; init; }
    public string Status { get; set; } = "READY";
    public Dictionary<string, string> Tags { get; } = new(StringComparer.Ordinal);
}

/// <summary>An MLflow error the fake answers: <c>{error_code, message}</c> with the status MLflow uses for the code.</summary>
sealed class FakeMlflowError(string code, string message) : Exception(message)
{
    public string Code { get; } = code;

    public int Status => Code switch
    {
        "INVALID_PARAMETER_VALUE" or "RESOURCE_ALREADY_EXISTS" or "BAD_REQUEST" => 400,
        "UNAUTHENTICATED" or "CUSTOMER_UNAUTHORIZED" => 401,
        "PERMISSION_DENIED" => 403,
        "RESOURCE_DOES_NOT_EXIST" or "ENDPOINT_NOT_FOUND" or "NOT_FOUND" => 404,
        "ABORTED" or "ALREADY_EXISTS" or "RESOURCE_CONFLICT" => 409,
        "REQUEST_LIMIT_EXCEEDED" or "RESOURCE_EXHAUSTED" => 429,
        "NOT_IMPLEMENTED" => 501,
        "TEMPORARILY_UNAVAILABLE" => 503,
        "DEADLINE_EXCEEDED" => 504,
        _ => 500,
    };

    public static FakeMlflowError Invalid(string message) => new("INVALID_PARAMETER_VALUE", message);

    public static FakeMlflowError Missing(string message) => new("RESOURCE_DOES_NOT_EXIST", message);
}

/// <summary>The server side of spec §2.5, written independently of the client's checks (a bug in one should not hide in the other).</summary>
static partial class FakeLimits
{
    [GeneratedRegex(@"^[/\w.\- ]*$")]
    private static partial Regex KeyPattern();

    [GeneratedRegex(@"^[a-zA-Z0-9][\w\-]{0,255}$")]
    public static partial Regex RunId();

    [GeneratedRegex(@"^[\w\-]*$")]
    private static partial Regex AliasPattern();

    [GeneratedRegex(@"^[vV]\d+$")]
    private static partial Regex VersionAlias();

    /// <summary>Metric/param/tag names: MLflow's characters (without ':' — stricter), path-normal, at most 250.</summary>
    public static void Key(string what, string key)
    {
        if (key.Length == 0 || key.Length > 250 || !KeyPattern().IsMatch(key))
            throw FakeMlflowError.Invalid($"Invalid value \"{key}\" for parameter '{what}' supplied: Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/) and be at most 250 long.");
        // posixpath.normpath(key) == key, not '.', not starting with '/' or '..'.
        if (key == "." || key.StartsWith('/') || key.StartsWith("..", StringComparison.Ordinal) || key.EndsWith('/')
            || key.Contains("//", StringComparison.Ordinal) || key.Split('/').Any(s => s is "." or ".."))
            throw FakeMlflowError.Invalid($"Invalid value \"{key}\" for parameter '{what}' supplied: Names must be a normalized and relative path.");
    }

    public static void MaxLength(string what, string value, int max)
    {
        if (value.Length > max)
            throw FakeMlflowError.Invalid($"'{what}' exceeds the maximum length of {max} characters (got {value.Length}).");
    }

    public static void Alias(string alias)
    {
        if (alias.Length == 0 || alias.Length > 255 || !AliasPattern().IsMatch(alias))
            throw FakeMlflowError.Invalid($"Invalid alias name: '{alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).");
        if (string.Equals(alias, "latest", StringComparison.OrdinalIgnoreCase) || VersionAlias().IsMatch(alias))
            throw FakeMlflowError.Invalid($"'{alias}' alias name (case insensitive) is reserved.");
    }

    /// <summary>An artefact path: relative, no '..' segments, no backslash or NUL (after URL-decoding).</summary>
    public static void ArtifactPath(string path)
    {
        if (path.StartsWith('/') || path.Contains('\\') || path.Contains('\0') || path.Split('/').Any(s => s == ".."))
            throw FakeMlflowError.Invalid($"Invalid path: '{path}'");
    }
}
