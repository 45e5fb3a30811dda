using System.Globalization;
using System.Text;

namespace MlOps.Pipelines.Tracking.Local;

/// <summary>
/// MLflow's validation rules (mlflow-compat.md §2.5, <c>mlflow/utils/validation.py</c>), checked before anything is
/// written or sent, by the local store and the REST store alike. A failure is a <see cref="TrackingException"/>
/// INVALID_PARAMETER_VALUE (HTTP 400, as the server answers) whose message names the offending key. Lengths count
/// Unicode code points, as Python's <c>len</c> does.
/// </summary>
internal static class TrackingLimits
{
    public const string InvalidParameterValue = "INVALID_PARAMETER_VALUE";
    public const string ResourceDoesNotExist = "RESOURCE_DOES_NOT_EXIST";
    public const string ResourceAlreadyExists = "RESOURCE_ALREADY_EXISTS";

    public const int MaxEntityKeyLength = 250;
    public const int MaxParamValueLength = 6000;
    public const int MaxRunTagValueLength = 8000;
    public const int MaxExperimentNameLength = 500;
    public const int MaxExperimentTagKeyLength = 250;
    public const int MaxExperimentTagValueLength = 5000;
    public const int MaxRegistryTagKeyLength = 250;
    public const int MaxRegistryTagValueLength = 5000;
    public const int MaxMetricsPerBatch = 1000;
    public const int MaxParamsPerBatch = 100;
    public const int MaxTagsPerBatch = 100;
    public const int MaxEntitiesPerBatch = 1000;
    public const int MaxDatasetNameLength = 500;
    public const int MaxDatasetDigestLength = 36;
    public const int MaxDatasetSourceLength = 65535;
    public const int MaxDatasetSchemaLength = 1048575;
    public const int MaxDatasetProfileLength = 16777215;
    public const int MaxInputTagKeyLength = 255;
    public const int MaxInputTagValueLength = 500;
    public const int MaxAliasLength = 255;
    public const int MaxRunIdLength = 256;
    public const int MaxExperimentIdLength = 64;

    const string BadCharactersMessage = "Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/).";

    public static TrackingException Invalid(string message) => new(InvalidParameterValue, message, 400);

    public static TrackingException NotFound(string message) => new(ResourceDoesNotExist, message, 404);

    public static TrackingException AlreadyExists(string message) => new(ResourceAlreadyExists, message, 400);

    public static void ValidateMetric(Metric metric)
    {
        ValidateKey("metric", "Metric name", metric.Key);
        if (metric.Timestamp < 0)
            throw Invalid($"Got invalid timestamp {metric.Timestamp} for metric '{metric.Key}' (value={PythonFloat.Format(metric.Value)}). Timestamp must be a nonnegative long (64-bit integer)");
    }

    public static void ValidateParam(Param param)
    {
        ValidateKey("parameter", "Param key", param.Key);
        ValidateValueLength("Param", param.Key, param.Value, MaxParamValueLength);
    }

    public static void ValidateRunTag(Tag tag)
    {
        ValidateKey("tag", "Tag key", tag.Key);
        ValidateValueLength("Tag", tag.Key, tag.Value, MaxRunTagValueLength);
    }

    public static void ValidateExperimentTag(Tag tag)
    {
        ValidateKey("tag", "Tag key", tag.Key, MaxExperimentTagKeyLength);
        ValidateValueLength("Experiment tag", tag.Key, tag.Value, MaxExperimentTagValueLength);
    }

    /// <summary>Registered-model and model-version tags.</summary>
    public static void ValidateRegistryTag(Tag tag)
    {
        ValidateKey("tag", "Model version key", tag.Key, MaxRegistryTagKeyLength);
        ValidateValueLength("Model version tag", tag.Key, tag.Value, MaxRegistryTagValueLength);
    }

    /// <summary>One log-batch request: every entity, the counts, and no param key twice.</summary>
    public static void ValidateBatch(IReadOnlyList<Metric> metrics, IReadOnlyList<Param> parameters, IReadOnlyList<Tag> tags)
    {
        foreach (var metric in metrics) ValidateMetric(metric);
        foreach (var param in parameters) ValidateParam(param);
        foreach (var tag in tags) ValidateRunTag(tag);
        ValidateBatchCount("metrics", MaxMetricsPerBatch, metrics.Count);
        ValidateBatchCount("params", MaxParamsPerBatch, parameters.Count);
        ValidateBatchCount("tags", MaxTagsPerBatch, tags.Count);
        ValidateBatchCount("metrics, params, and tags", MaxEntitiesPerBatch, metrics.Count + parameters.Count + tags.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var duplicates = parameters.Where(p => !seen.Add(p.Key)).Select(p => $"'{p.Key}'").Distinct(StringComparer.Ordinal).ToList();
        if (duplicates.Count > 0)
            throw Invalid($"Duplicate parameter keys have been submitted: [{string.Join(", ", duplicates)}]. Please ensure the request contains only one param value per param key.");
    }

    public static void ValidateExperimentName(string name)
    {
        if (string.IsNullOrEmpty(name)) throw Invalid($"Invalid experiment name: '{name}'");
        if (CodePoints(name) > MaxExperimentNameLength)
            throw Invalid($"Experiment name exceeds the maximum length of {MaxExperimentNameLength} characters");
    }

    /// <summary><c>^[a-zA-Z0-9][\w\-]{0,255}$</c>: also keeps a run id a plain folder name.</summary>
    public static void ValidateRunId(string runId)
    {
        if (!IsId(runId, MaxRunIdLength)) throw Invalid($"Invalid run ID: '{runId}'");
    }

    /// <summary><c>^[a-zA-Z0-9][\w\-]{0,63}$</c>.</summary>
    public static void ValidateExperimentId(string experimentId)
    {
        if (!IsId(experimentId, MaxExperimentIdLength)) throw Invalid($"Invalid experiment ID: '{experimentId}'");
    }

    public static void ValidateDatasetInput(DatasetInput input)
    {
        var dataset = input.Dataset;
        Required(dataset.Name, "name");
        Required(dataset.Digest, "digest");
        Required(dataset.SourceType, "source_type");
        Required(dataset.Source, "source");
        DatasetField(dataset.Name, "name", MaxDatasetNameLength);
        DatasetField(dataset.Digest, "digest", MaxDatasetDigestLength);
        DatasetField(dataset.Source, "source", MaxDatasetSourceLength);
        DatasetField(dataset.Schema, "schema", MaxDatasetSchemaLength);
        DatasetField(dataset.Profile, "profile", MaxDatasetProfileLength);
        foreach (var tag in input.Tags)
        {
            if (string.IsNullOrEmpty(tag.Key)) throw Invalid($"InputTag key cannot be empty (dataset '{dataset.Name}')");
            if (CodePoints(tag.Key) > MaxInputTagKeyLength)
                throw Invalid($"InputTag key '{Prefix(tag.Key)}' exceeds the maximum length of {MaxInputTagKeyLength}");
            if (CodePoints(tag.Value) > MaxInputTagValueLength)
                throw Invalid($"InputTag value for key '{tag.Key}' exceeds the maximum length of {MaxInputTagValueLength}");
        }

        void Required(string value, string field)
        {
            if (string.IsNullOrEmpty(value)) throw Invalid($"Dataset {field} cannot be empty (dataset '{dataset.Name}')");
        }

        void DatasetField(string? value, string field, int limit)
        {
            if (value is not null && CodePoints(value) > limit)
                throw Invalid($"Dataset {field} exceeds the maximum length of {limit} (dataset '{Prefix(dataset.Name)}')");
        }
    }

    public static void ValidateModelName(string name)
    {
        if (string.IsNullOrEmpty(name)) throw Invalid("Registered model name cannot be empty.");
    }

    /// <summary><c>^[\w\-]*$</c>, non-empty, ≤ 255, not "latest" (any case), not <c>v&lt;digits&gt;</c>.</summary>
    public static void ValidateAlias(string alias)
    {
        if (string.IsNullOrEmpty(alias)) throw Invalid("Registered model alias name cannot be empty.");
        if (!alias.EnumerateRunes().All(r => IsWord(r) || r.Value == '-'))
            throw Invalid($"Invalid alias name: '{alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).");
        if (CodePoints(alias) > MaxAliasLength)
            throw Invalid($"Registered model alias name '{Prefix(alias)}' had length {CodePoints(alias)}, which exceeded length limit of {MaxAliasLength}");
        if (alias.Equals("latest", StringComparison.OrdinalIgnoreCase))
            throw Invalid("'latest' alias name (case insensitive) is reserved.");
        if (alias.Length > 1 && alias[0] is ('v' or 'V') && alias[1..].All(char.IsDigit))
            throw Invalid($"Version alias name '{alias}' is reserved.");
    }

    /// <summary>A model version number ("1", "2", …): returns it as an integer.</summary>
    public static long ValidateModelVersion(string version)
    {
        if (!long.TryParse(version, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
            throw Invalid($"Model version must be an integer, got '{version}'");
        return number;
    }

    /// <summary>
    /// An artefact path as the artefact proxy accepts it: relative, '/'-separated, no <c>..</c> segment, no backslash
    /// or NUL; with <paramref name="isFile"/>, it must also end in a file name.
    /// </summary>
    public static void ValidateArtifactPath(string path, bool isFile)
    {
        if (string.IsNullOrEmpty(path)) throw Invalid("Artifact path cannot be empty.");
        if (path.Contains('\\', StringComparison.Ordinal) || path.Contains('\0', StringComparison.Ordinal))
            throw Invalid($"Invalid artifact path: '{path}'. Backslashes and NUL characters are not allowed.");
        if (path.StartsWith('/') || (path.Length >= 2 && path[1] == ':' && char.IsAsciiLetter(path[0])))
            throw Invalid($"Invalid artifact path: '{path}'. The path must be relative.");
        if (path.Split('/').Any(segment => segment == ".."))
            throw Invalid($"Invalid artifact path: '{path}'. '..' segments are not allowed.");
        if (isFile && (path.EndsWith('/') || path.Split('/')[^1] == "."))
            throw Invalid($"Invalid artifact path: '{path}'. The path must end in a file name.");
    }

    /// <summary>
    /// A metric/param/tag key: <c>^[/\w.\- ]*$</c> and path-normal (<c>posixpath.normpath(key) == key</c>, not ".",
    /// not starting with "/" or ".."), at most <paramref name="maxLength"/> code points.
    /// </summary>
    public static void ValidateKey(string kind, string lengthName, string key, int maxLength = MaxEntityKeyLength)
    {
        if (key is null) throw Invalid($"{Capitalised(kind)} name cannot be None. A key name must be provided.");
        if (!key.EnumerateRunes().All(r => IsWord(r) || r.Value is '/' or '.' or '-' or ' '))
            throw Invalid($"Invalid {kind} name: '{key}'. {BadCharactersMessage}");
        var normal = NormalisePosixPath(key);
        if (normal != key || normal == "." || normal.StartsWith("..", StringComparison.Ordinal) || normal.StartsWith('/'))
            throw Invalid($"Invalid {kind} name: '{key}'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '{normal}'");
        var length = CodePoints(key);
        if (length > maxLength)
            throw Invalid($"{lengthName} '{Prefix(key)}' had length {length}, which exceeded length limit of {maxLength}");
    }

    /// <summary>Python's <c>posixpath.normpath</c>.</summary>
    public static string NormalisePosixPath(string path)
    {
        if (path.Length == 0) return ".";
        var initialSlashes = path.StartsWith('/') ? (path.StartsWith("//", StringComparison.Ordinal) && !path.StartsWith("///", StringComparison.Ordinal) ? 2 : 1) : 0;
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part is "" or ".") continue;
            if (part != ".." || (initialSlashes == 0 && parts.Count == 0) || (parts.Count > 0 && parts[^1] == ".."))
                parts.Add(part);
            else if (parts.Count > 0)
                parts.RemoveAt(parts.Count - 1);
        }
        var normal = new string('/', initialSlashes) + string.Join('/', parts);
        return normal.Length == 0 ? "." : normal;
    }

    /// <summary>Python's <c>len</c>: code points, not UTF-16 units.</summary>
    public static int CodePoints(string value)
    {
        var surrogatePairs = 0;
        for (var i = 0; i + 1 < value.Length; i++)
            if (char.IsSurrogatePair(value[i], value[i + 1])) { surrogatePairs++; i++; }
        return value.Length - surrogatePairs;
    }

    /// <summary>Python's <c>\w</c> on str: letters, digits and other numbers (<c>str.isalnum</c>), and '_'.</summary>
    static bool IsWord(Rune rune) => rune.Value == '_' || Rune.GetUnicodeCategory(rune) is
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter or
        UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.DecimalDigitNumber or
        UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;

    static bool IsId(string id, int maxLength) =>
        !string.IsNullOrEmpty(id) && id.Length <= maxLength && char.IsAsciiLetterOrDigit(id[0]) &&
        id.EnumerateRunes().All(r => IsWord(r) || r.Value == '-');

    static void ValidateValueLength(string entity, string key, string value, int limit)
    {
        var length = CodePoints(value);
        if (length > limit)
            throw Invalid($"{entity} value for key '{key}' had length {length}, which exceeded length limit of {limit}");
    }

    static void ValidateBatchCount(string entities, int limit, int count)
    {
        if (count > limit)
            throw Invalid($"A batch logging request can contain at most {limit} {entities}. Got {count} {entities}. Please split up {entities} across multiple requests and try again.");
    }

    static string Capitalised(string word) => char.ToUpperInvariant(word[0]) + word[1..];

    static string Prefix(string value) => value.Length <= 250 ? value : value[..250];
}
