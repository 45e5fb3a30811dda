using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using static MlOps.Pipelines.Tests.Tracking.Rest.Field;

namespace MlOps.Pipelines.Tests.Tracking.Rest;

// Artefacts through the proxy (spec §3) and the model registry (spec §4).
sealed partial class FakeMlflowServer
{
    const string ArtifactsPath = "/api/2.0/mlflow-artifacts/artifacts";

    /// <summary>Proxy path ("1/&lt;run&gt;/artifacts/model/MLmodel") → bytes.</summary>
    readonly Dictionary<string, byte[]> _artifacts = new(StringComparer.Ordinal);
    readonly Dictionary<string, FakeModel> _models = new(StringComparer.Ordinal);

    // Artefacts

    FakeResponse Artifacts(Call call)
    {
        if (call.Path == ArtifactsPath)
        {
            if (call.Method != "GET") return MethodNotAllowedHtml(["GET"]);
            var message = FakeSchema.FromQuery(ParseQuery(call.Query), [Str("path")]);
            var directory = message.Str("path")?.Trim('/') ?? "";
            FakeLimits.ArtifactPath(directory);
            List<(string Name, bool IsDir, long Size)> children;
            lock (_lock) children = Children(directory);
            return Json(w =>
            {
                if (children.Count == 0) return;
                w.WriteStartArray("files");
                foreach (var (name, isDir, size) in children) WriteFileInfo(w, name, isDir, size);
                w.WriteEndArray();
            });
        }

        var encoded = call.Path![(ArtifactsPath.Length + 1)..];
        var path = string.Join("/", encoded.Split('/').Select(Uri.UnescapeDataString));
        FakeLimits.ArtifactPath(path);
        if (path.Length == 0 || path.Split('/').Any(s => s.Length == 0)) throw FakeMlflowError.Invalid($"Invalid path: '{path}'");
        lock (_lock)
        {
            switch (call.Method)
            {
                case "PUT":
                    _artifacts[path] = call.Body;
                    return Empty();
                case "GET":
                    return _artifacts.TryGetValue(path, out var bytes)
                        ? new FakeResponse(200, "application/octet-stream", bytes)
                        : throw FakeMlflowError.Missing($"File not found: {path}");
                case "DELETE":
                    _artifacts.Remove(path);
                    return Empty();
                default:
                    return MethodNotAllowedHtml(["GET", "PUT", "DELETE"]);
            }
        }
    }

    /// <summary>The files and directories directly under <paramref name="directory"/> ("" = root).</summary>
    List<(string Name, bool IsDir, long Size)> Children(string directory)
    {
        var prefix = directory.Length == 0 ? "" : directory + "/";
        var children = new SortedDictionary<string, (bool IsDir, long Size)>(StringComparer.Ordinal);
        foreach (var (key, bytes) in _artifacts)
        {
            if (!key.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var rest = key[prefix.Length..];
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0) children[rest] = (false, bytes.Length);
            else children[rest[..slash]] = (true, 0);
        }
        return [.. children.Select(c => (c.Key, c.Value.IsDir, c.Value.Size))];
    }

    static void WriteFileInfo(Utf8JsonWriter w, string path, bool isDir, long size)
    {
        w.WriteStartObject();
        w.WriteString("path", path);
        w.WriteBoolean("is_dir", isDir);
        if (!isDir) w.WriteNumber("file_size", size);
        w.WriteEndObject();
    }

    /// <summary>Where a run's artefacts are in the proxy store, or null when its artifact_uri is not proxied.</summary>
    static string? ProxyRoot(string artifactUri)
    {
        if (artifactUri.StartsWith("mlflow-artifacts:", StringComparison.Ordinal))
        {
            var rest = artifactUri["mlflow-artifacts:".Length..];
            if (rest.StartsWith("//", StringComparison.Ordinal))
            {
                var slash = rest.IndexOf('/', 2);
                rest = slash < 0 ? "" : rest[slash..];
            }
            return rest.Trim('/');
        }
        var marker = artifactUri.IndexOf("/api/2.0/mlflow-artifacts/artifacts/", StringComparison.Ordinal);
        return marker < 0 ? null : artifactUri[(marker + "/api/2.0/mlflow-artifacts/artifacts/".Length)..].Trim('/');
    }

    FakeResponse ListRunArtifacts(JsonElement body)
    {
        var run = ExistingRun(body.Str("run_id")!);
        var path = body.Str("path")?.Trim('/') ?? "";
        FakeLimits.ArtifactPath(path);
        var root = ProxyRoot(run.ArtifactUri);
        var children = root is null ? [] : Children(path.Length == 0 ? root : root + "/" + path);
        var (page, next) = Paginate(children, body.Str("page_token"), null);
        return Json(w =>
        {
            w.WriteString("root_uri", run.ArtifactUri);
            if (page.Count > 0)
            {
                w.WriteStartArray("files");
                foreach (var (name, isDir, size) in page) WriteFileInfo(w, path.Length == 0 ? name : path + "/" + name, isDir, size);
                w.WriteEndArray();
            }
            if (next is not null) w.WriteString("next_page_token", next);
        });
    }

    // Model registry

    void AddRegistryRoutes(Action<string, string, Field[], Func<JsonElement, FakeResponse>> add)
    {
        add("POST", "/mlflow/registered-models/create", [Str("name", Need.Required), Objs("tags", KeyValue), Str("description")], CreateModel);
        add("GET", "/mlflow/registered-models/get", [Str("name", Need.Required)], GetModel);
        add("POST", "/mlflow/model-versions/create",
            [Str("name", Need.Required), Str("source", Need.Required), Str("run_id"), Objs("tags", KeyValue), Str("run_link"), Str("description")], CreateVersion);
        add("GET", "/mlflow/model-versions/get", [Str("name", Need.Required), Str("version", Need.Required)], GetVersion);
        add("GET", "/mlflow/model-versions/search", [Str("filter"), Int("max_results"), Strs("order_by"), Str("page_token")], SearchVersions);
        add("POST", "/mlflow/registered-models/alias", [Str("name", Need.Required), Str("alias", Need.Required), Str("version", Need.Required)], SetAlias);
        add("DELETE", "/mlflow/registered-models/alias", [Str("name", Need.Required), Str("alias", Need.Required)], DeleteAlias);
        add("GET", "/mlflow/registered-models/alias", [Str("name", Need.Required), Str("alias", Need.Required)], GetVersionByAlias);
    }

    FakeModel ExistingModel(string name) =>
        _models.GetValueOrDefault(name) ?? throw FakeMlflowError.Missing($"Registered Model with name={name} not found");

    FakeModelVersion ExistingVersion(FakeModel model, string version)
    {
        if (!long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            throw FakeMlflowError.Invalid($"Parameter 'version' must be an integer, got '{version}'.");
        return model.Versions.FirstOrDefault(v => v.Version == version)
            ?? throw FakeMlflowError.Missing($"Model Version (name={model.Name}, version={version}) not found");
    }

    static void CheckRegistryTags(IEnumerable<KeyValuePair<string, string>> tags)
    {
        foreach (var (key, value) in tags)
        {
            FakeLimits.Key("tags.key", key);
            FakeLimits.MaxLength("tags.value", value, 5000);
        }
    }

    FakeResponse CreateModel(JsonElement body)
    {
        var name = body.Str("name")!;
        var tags = body.KeyValues("tags");
        CheckRegistryTags(tags);
        if (_models.ContainsKey(name))
            throw new FakeMlflowError("RESOURCE_ALREADY_EXISTS", $"Registered Model (name={name}) already exists.");
        var model = new FakeModel { Name = name, CreationTimestamp = Now(), LastUpdatedTimestamp = Now(), Description = body.Str("description") };
        foreach (var (key, value) in tags) model.Tags[key] = value;
        _models[name] = model;
        return Json(w => WriteModel(w, model));
    }

    FakeResponse GetModel(JsonElement body)
    {
        var model = ExistingModel(body.Str("name")!);
        return Json(w => WriteModel(w, model));
    }

    FakeResponse CreateVersion(JsonElement body)
    {
        var model = ExistingModel(body.Str("name")!);
        var source = body.Str("source")!;
        var runId = body.Str("run_id");
        var tags = body.KeyValues("tags");
        CheckRegistryTags(tags);
        if (source.Split('/').Any(s => s == ".."))
            throw FakeMlflowError.Invalid($"Invalid model version source: '{source}'. Sources must not contain '..' segments.");
        FakeRun? run = null;
        if (!string.IsNullOrEmpty(runId)) run = ExistingRun(runId);
        var isLocal = source.StartsWith('/') || source.StartsWith("file:", StringComparison.Ordinal);
        if (isLocal && (run is null || !source.StartsWith(run.ArtifactUri.TrimEnd('/') + "/", StringComparison.Ordinal)))
            throw FakeMlflowError.Invalid($"Invalid model version source: '{source}'. To use a local path as a model version source, the run_id request parameter has to be specified and the local path has to be contained within the artifact directory of the run specified by the run_id.");
        var version = new FakeModelVersion
        {
            Name = model.Name,
            Version = (model.Versions.Count + 1).ToString(CultureInfo.InvariantCulture),
            CreationTimestamp = Now(),
            Source = source,
            RunId = string.IsNullOrEmpty(runId) ? null : runId,
        };
        foreach (var (key, value) in tags) version.Tags[key] = value;
        model.Versions.Add(version);
        model.LastUpdatedTimestamp = Now();
        return Json(w => WriteVersion(w, model, version));
    }

    FakeResponse GetVersion(JsonElement body)
    {
        var model = ExistingModel(body.Str("name")!);
        var version = ExistingVersion(model, body.Str("version")!);
        return Json(w => WriteVersion(w, model, version));
    }

    FakeResponse SearchVersions(JsonElement body)
    {
        var maxResults = body.Long("max_results") ?? 10000;
        if (maxResults is < 1 or > 200000)
            throw FakeMlflowError.Invalid($"Invalid value {maxResults} for parameter 'max_results' supplied. It must be at most 200000.");
        if (body.Items("order_by").Any())
            throw FakeMlflowError.Invalid("The fake server supports only the default order (name ASC, version DESC).");
        var clauses = ParseVersionFilter(body.Str("filter") ?? "");
        var matches = _models.Values
            .SelectMany(m => m.Versions.Select(v => (Model: m, Version: v)))
            .Where(x => clauses.All(c => c.Field == "name" ? x.Version.Name == c.Value : x.Version.RunId == c.Value))
            .OrderBy(x => x.Version.Name, StringComparer.Ordinal)
            .ThenByDescending(x => long.Parse(x.Version.Version, CultureInfo.InvariantCulture))
            .ToList();
        var (page, next) = Paginate(matches, body.Str("page_token"), maxResults);
        return Json(w =>
        {
            if (page.Count > 0)
            {
                w.WriteStartArray("model_versions");
                foreach (var (model, version) in page)
                {
                    w.WriteStartObject();
                    WriteVersionFields(w, model, version);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            if (next is not null) w.WriteString("next_page_token", next);
        });
    }

    sealed record VersionClause(string Field, string Value);

    // name = '<value>' or run_id = '<value>' (single or double quotes, nothing escaped), joined with AND.
    [GeneratedRegex("""\G\s*(?<field>name|run_id)\s*=\s*(?:'(?<value>[^']*)'|"(?<value>[^"]*)")\s*""")]
    private static partial Regex VersionClausePattern();

    static List<VersionClause> ParseVersionFilter(string filter)
    {
        var clauses = new List<VersionClause>();
        if (string.IsNullOrWhiteSpace(filter)) return clauses;
        var position = 0;
        while (true)
        {
            var match = VersionClausePattern().Match(filter, position);
            if (!match.Success)
                throw FakeMlflowError.Invalid($"Invalid filter '{filter}' (the fake server understands only name = '<value>' and run_id = '<value>' joined with AND).");
            clauses.Add(new VersionClause(match.Groups["field"].Value, match.Groups["value"].Value));
            position = match.Index + match.Length;
            if (position == filter.Length) return clauses;
            var and = AndPattern().Match(filter, position);
            if (!and.Success) throw FakeMlflowError.Invalid($"Invalid filter '{filter}': expected AND at position {position}.");
            position = and.Index + and.Length;
        }
    }

    FakeResponse SetAlias(JsonElement body)
    {
        var alias = body.Str("alias")!;
        FakeLimits.Alias(alias);
        var model = ExistingModel(body.Str("name")!);
        var version = ExistingVersion(model, body.Str("version")!);
        model.Aliases[alias] = version.Version; // setting an existing alias moves it
        return Empty();
    }

    FakeResponse DeleteAlias(JsonElement body)
    {
        var alias = body.Str("alias")!;
        FakeLimits.Alias(alias);
        var model = ExistingModel(body.Str("name")!);
        model.Aliases.Remove(alias); // a missing alias is not an error
        return Empty();
    }

    FakeResponse GetVersionByAlias(JsonElement body)
    {
        var alias = body.Str("alias")!;
        var model = ExistingModel(body.Str("name")!);
        if (!model.Aliases.TryGetValue(alias, out var number))
            throw FakeMlflowError.Invalid($"Registered model alias {alias} not found.");
        var version = ExistingVersion(model, number);
        return Json(w => WriteVersion(w, model, version));
    }

    static void WriteModel(Utf8JsonWriter w, FakeModel model)
    {
        w.WriteStartObject("registered_model");
        w.WriteString("name", model.Name);
        w.WriteNumber("creation_timestamp", model.CreationTimestamp);
        w.WriteNumber("last_updated_timestamp", model.LastUpdatedTimestamp);
        if (model.Description is not null) w.WriteString("description", model.Description);
        if (model.Versions.Count > 0)
        {
            w.WriteStartArray("latest_versions");
            w.WriteStartObject();
            WriteVersionFields(w, model, model.Versions[^1]);
            w.WriteEndObject();
            w.WriteEndArray();
        }
        WriteKeyValues(w, "tags", model.Tags);
        if (model.Aliases.Count > 0)
        {
            w.WriteStartArray("aliases");
            foreach (var (alias, version) in model.Aliases)
            {
                w.WriteStartObject();
                w.WriteString("alias", alias);
                w.WriteString("version", version);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    static void WriteVersion(Utf8JsonWriter w, FakeModel model, FakeModelVersion version)
    {
        w.WriteStartObject("model_version");
        WriteVersionFields(w, model, version);
        w.WriteEndObject();
    }

    static void WriteVersionFields(Utf8JsonWriter w, FakeModel model, FakeModelVersion version)
    {
        w.WriteString("name", version.Name);
        w.WriteString("version", version.Version);
        w.WriteNumber("creation_timestamp", version.CreationTimestamp);
        w.WriteNumber("last_updated_timestamp", version.CreationTimestamp);
        w.WriteString("current_stage", "None");
        w.WriteString("source", version.Source);
        if (version.RunId is not null) w.WriteString("run_id", version.RunId);
        w.WriteString("status", version.Status);
        WriteKeyValues(w, "tags", version.Tags);
        var aliases = model.Aliases.Where(a => a.Value == version.Version).Select(a => a.Key).Order(StringComparer.Ordinal).ToList();
        if (aliases.Count > 0)
        {
            w.WriteStartArray("aliases");
            foreach (var alias in aliases) w.WriteStringValue(alias);
            w.WriteEndArray();
        }
    }
}
