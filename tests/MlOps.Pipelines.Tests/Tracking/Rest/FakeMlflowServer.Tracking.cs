using System.Text.Json;
using System.Text.RegularExpressions;
using static MlOps.Pipelines.Tests.Tracking.Rest.Field;

namespace MlOps.Pipelines.Tests.Tracking.Rest;

// Tracking endpoints (spec §2): experiments, runs, metrics, params, tags, datasets, search.
sealed partial class FakeMlflowServer
{
    static readonly string[] RunStatuses = ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"];

    readonly Dictionary<string, FakeExperiment> _experiments = new(StringComparer.Ordinal);
    readonly Dictionary<string, FakeRun> _runs = new(StringComparer.Ordinal);
    int _nextExperimentId = 1;
    int _nextRunName = 1;

    Dictionary<string, Dictionary<string, Route>> BuildRoutes()
    {
        var routes = new Dictionary<string, Dictionary<string, Route>>(StringComparer.Ordinal);
        void Add(string method, string endpoint, Field[] fields, Func<JsonElement, FakeResponse> handler)
        {
            var path = "/api/2.0" + endpoint;
            if (!routes.TryGetValue(path, out var methods)) routes[path] = methods = new Dictionary<string, Route>(StringComparer.Ordinal);
            methods[method] = new Route(fields, handler);
        }

        Add("GET", "/mlflow/experiments/get-by-name", [Str("experiment_name", Need.Required)], GetExperimentByName);
        Add("GET", "/mlflow/experiments/get", [Str("experiment_id", Need.Required)], GetExperiment);
        Add("POST", "/mlflow/experiments/create", [Str("name", Need.Required), Str("artifact_location"), Objs("tags", KeyValue)], CreateExperiment);
        // start_time is optional for MLflow; the spec tells a strict client to always send it, so the fake requires it.
        Add("POST", "/mlflow/runs/create", [Str("experiment_id", Need.Required), Int("start_time", Need.Required), Str("run_name"), Str("user_id"), Objs("tags", KeyValue)], CreateRun);
        Add("POST", "/mlflow/runs/update", [Str("run_id", Need.Required), Str("status"), Int("end_time"), Str("run_name")], UpdateRun);
        Add("GET", "/mlflow/runs/get", [Str("run_id", Need.Required)], GetRun);
        Add("POST", "/mlflow/runs/delete", [Str("run_id", Need.Required)], body => SetRunLifecycle(body, "deleted"));
        Add("POST", "/mlflow/runs/restore", [Str("run_id", Need.Required)], body => SetRunLifecycle(body, "active"));
        Add("POST", "/mlflow/runs/search", [Strs("experiment_ids"), Str("filter"), Str("run_view_type"), Int("max_results"), Strs("order_by"), Str("page_token")], SearchRuns);
        Add("POST", "/mlflow/runs/log-batch",
        [
            Str("run_id", Need.Required),
            Objs("metrics", Str("key", Need.Required), Dbl("value", Need.Present), Int("timestamp", Need.Present), Int("step")),
            Objs("params", KeyValue),
            Objs("tags", KeyValue),
        ], LogBatch);
        Add("POST", "/mlflow/runs/log-inputs",
        [
            Str("run_id", Need.Required),
            Objs("datasets",
                Objs("tags", KeyValue),
                Obj("dataset", Need.Required, Str("name", Need.Required), Str("digest", Need.Required), Str("source_type", Need.Required),
                    Str("source", Need.Required), Str("schema"), Str("profile"))),
        ], LogInputs);
        Add("POST", "/mlflow/runs/log-model", [Str("run_id", Need.Required), Str("model_json", Need.Required)], LogModel);
        Add("GET", "/mlflow/metrics/get-history", [Str("run_id", Need.Required), Str("metric_key", Need.Required), Int("max_results"), Str("page_token")], GetMetricHistory);
        Add("GET", "/mlflow/artifacts/list", [Str("run_id", Need.Required), Str("path"), Str("page_token")], ListRunArtifacts);
        AddRegistryRoutes(Add);
        return routes;
    }

    // Experiments

    FakeResponse GetExperimentByName(JsonElement body)
    {
        var name = body.Str("experiment_name")!;
        var experiment = _experiments.Values.FirstOrDefault(e => e.Name == name)
            ?? throw FakeMlflowError.Missing($"Could not find experiment with name '{name}'");
        return Json(w => WriteExperiment(w, experiment));
    }

    FakeResponse GetExperiment(JsonElement body)
    {
        var id = body.Str("experiment_id")!;
        var experiment = _experiments.GetValueOrDefault(id) ?? throw FakeMlflowError.Missing($"No Experiment with id={id} exists");
        return Json(w => WriteExperiment(w, experiment));
    }

    FakeResponse CreateExperiment(JsonElement body)
    {
        var name = body.Str("name")!;
        FakeLimits.MaxLength("name", name, 500);
        var tags = body.KeyValues("tags");
        foreach (var (key, value) in tags)
        {
            FakeLimits.Key("tags.key", key);
            FakeLimits.MaxLength("tags.value", value, 5000);
        }
        if (_experiments.Values.Any(e => e.Name == name))
            throw new FakeMlflowError("RESOURCE_ALREADY_EXISTS", $"Experiment(name={name}) already exists. Error: (raised by the fake server)");
        var id = (_nextExperimentId++).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var experiment = new FakeExperiment
        {
            Id = id,
            Name = name,
            ArtifactLocation = body.Str("artifact_location") ?? DefaultArtifactRoot.TrimEnd('/') + "/" + id,
            CreationTime = Now(),
            LastUpdateTime = Now(),
        };
        foreach (var (key, value) in tags) experiment.Tags[key] = value;
        _experiments[id] = experiment;
        return Json(w => w.WriteString("experiment_id", id));
    }

    static void WriteExperiment(Utf8JsonWriter w, FakeExperiment experiment)
    {
        w.WriteStartObject("experiment");
        w.WriteString("experiment_id", experiment.Id);
        w.WriteString("name", experiment.Name);
        w.WriteString("artifact_location", experiment.ArtifactLocation);
        w.WriteString("lifecycle_stage", experiment.LifecycleStage);
        w.WriteNumber("last_update_time", experiment.LastUpdateTime);
        w.WriteNumber("creation_time", experiment.CreationTime);
        WriteKeyValues(w, "tags", experiment.Tags);
        w.WriteEndObject();
    }

    // Runs

    FakeRun ActiveRun(JsonElement body)
    {
        var run = ExistingRun(body.Str("run_id")!);
        if (run.LifecycleStage != "active")
            throw FakeMlflowError.Invalid($"The run {run.RunId} must be in the 'active' state. Current state is {run.LifecycleStage}.");
        return run;
    }

    FakeRun ExistingRun(string runId) => _runs.GetValueOrDefault(runId) ?? throw FakeMlflowError.Missing($"Run with id={runId} not found");

    static void CheckRunTags(IEnumerable<KeyValuePair<string, string>> tags, string field)
    {
        foreach (var (key, value) in tags)
        {
            FakeLimits.Key(field + ".key", key);
            FakeLimits.MaxLength(field + ".value", value, 8000);
        }
    }

    FakeResponse CreateRun(JsonElement body)
    {
        var experimentId = body.Str("experiment_id")!;
        var experiment = _experiments.GetValueOrDefault(experimentId) ?? throw FakeMlflowError.Missing($"No Experiment with id={experimentId} exists");
        if (experiment.LifecycleStage != "active")
            throw FakeMlflowError.Invalid($"The experiment {experimentId} must be in the 'active' state. Current state is {experiment.LifecycleStage}.");
        var startTime = body.Long("start_time")!.Value;
        if (startTime < 0) throw FakeMlflowError.Invalid($"Invalid value {startTime} for parameter 'start_time' supplied.");
        var tags = body.KeyValues("tags");
        CheckRunTags(tags, "tags");
        var runName = body.Str("run_name");
        var tagName = tags.LastOrDefault(t => t.Key == "mlflow.runName").Value;
        if (!string.IsNullOrEmpty(runName) && tagName is not null && tagName != runName)
            throw FakeMlflowError.Invalid($"Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='{runName}', mlflow.runName='{tagName}').");
        runName = !string.IsNullOrEmpty(runName) ? runName : tagName ?? $"fake-run-{_nextRunName++}";
        FakeLimits.MaxLength("run_name", runName, 8000);
        var runId = Guid.NewGuid().ToString("N");
        var run = new FakeRun
        {
            RunId = runId,
            ExperimentId = experimentId,
            RunName = runName,
            StartTime = startTime,
            UserId = body.Str("user_id") ?? "",
            ArtifactUri = experiment.ArtifactLocation.TrimEnd('/') + "/" + runId + "/artifacts",
        };
        foreach (var (key, value) in tags) run.Tags[key] = value;
        run.Tags["mlflow.runName"] = runName;
        _runs[runId] = run;
        return Json(w =>
        {
            w.WriteStartObject("run");
            WriteRun(w, run);
            w.WriteEndObject();
        });
    }

    FakeResponse UpdateRun(JsonElement body)
    {
        var run = ActiveRun(body);
        var status = body.Str("status");
        if (status is not null && !RunStatuses.Contains(status))
            throw FakeMlflowError.Invalid($"Invalid value \"{status}\" for parameter 'status' supplied: expected one of {string.Join(", ", RunStatuses)}.");
        if (body.Long("end_time") is { } endTime)
        {
            if (endTime < 0) throw FakeMlflowError.Invalid($"Invalid value {endTime} for parameter 'end_time' supplied.");
            run.EndTime = endTime;
        }
        if (status is not null) run.Status = status;
        if (body.Str("run_name") is { Length: > 0 } runName)
        {
            run.RunName = runName;
            run.Tags["mlflow.runName"] = runName;
        }
        return Json(w =>
        {
            w.WriteStartObject("run_info");
            WriteRunInfo(w, run);
            w.WriteEndObject();
        });
    }

    FakeResponse GetRun(JsonElement body)
    {
        var run = ExistingRun(body.Str("run_id")!);
        return Json(w =>
        {
            w.WriteStartObject("run");
            WriteRun(w, run);
            w.WriteEndObject();
        });
    }

    FakeResponse SetRunLifecycle(JsonElement body, string stage)
    {
        ExistingRun(body.Str("run_id")!).LifecycleStage = stage;
        return Empty();
    }

    static void WriteRunInfo(Utf8JsonWriter w, FakeRun run)
    {
        w.WriteString("run_id", run.RunId);
        w.WriteString("run_uuid", run.RunId);
        w.WriteString("run_name", run.RunName);
        w.WriteString("experiment_id", run.ExperimentId);
        w.WriteString("user_id", run.UserId);
        w.WriteString("status", run.Status);
        w.WriteNumber("start_time", run.StartTime);
        if (run.EndTime is { } endTime) w.WriteNumber("end_time", endTime);
        w.WriteString("artifact_uri", run.ArtifactUri);
        w.WriteString("lifecycle_stage", run.LifecycleStage);
    }

    static void WriteRun(Utf8JsonWriter w, FakeRun run)
    {
        w.WriteStartObject("info");
        WriteRunInfo(w, run);
        w.WriteEndObject();

        w.WriteStartObject("data");
        // Latest value per key: highest (step, timestamp, value), as the FileStore picks it.
        var latest = run.Metrics
            .GroupBy(m => m.Key, StringComparer.Ordinal)
            .Select(g => g.OrderBy(m => m.Step).ThenBy(m => m.Timestamp).ThenBy(m => m.Value).Last())
            .ToList();
        if (latest.Count > 0)
        {
            w.WriteStartArray("metrics");
            foreach (var metric in latest) WriteMetric(w, metric);
            w.WriteEndArray();
        }
        WriteKeyValues(w, "params", run.Params);
        WriteKeyValues(w, "tags", run.Tags);
        w.WriteEndObject();

        w.WriteStartObject("inputs");
        if (run.Inputs.Count > 0)
        {
            w.WriteStartArray("dataset_inputs");
            foreach (var input in run.Inputs)
            {
                w.WriteStartObject();
                WriteKeyValues(w, "tags", input.Tags);
                w.WriteStartObject("dataset");
                w.WriteString("name", input.Name);
                w.WriteString("digest", input.Digest);
                w.WriteString("source_type", input.SourceType);
                w.WriteString("source", input.Source);
                if (input.Schema is not null) w.WriteString("schema", input.Schema);
                if (input.Profile is not null) w.WriteString("profile", input.Profile);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    static void WriteMetric(Utf8JsonWriter w, FakeMetric metric)
    {
        w.WriteStartObject();
        w.WriteString("key", metric.Key);
        WriteDouble(w, "value", metric.Value);
        w.WriteNumber("timestamp", metric.Timestamp);
        w.WriteNumber("step", metric.Step);
        w.WriteEndObject();
    }

    // Search

    FakeResponse SearchRuns(JsonElement body)
    {
        var maxResults = body.Long("max_results") ?? 1000;
        if (maxResults is < 1 or > 50000)
            throw FakeMlflowError.Invalid($"Invalid value {maxResults} for parameter 'max_results' supplied. It must be at most 50000.");
        if (body.Items("order_by").Any())
            throw FakeMlflowError.Invalid("The fake server supports only the default order (start_time DESC, run_id).");
        var viewType = body.Str("run_view_type") ?? "ACTIVE_ONLY";
        Func<FakeRun, bool> view = viewType switch
        {
            "ACTIVE_ONLY" => r => r.LifecycleStage == "active",
            "DELETED_ONLY" => r => r.LifecycleStage == "deleted",
            "ALL" => _ => true,
            _ => throw FakeMlflowError.Invalid($"Invalid value \"{viewType}\" for parameter 'run_view_type' supplied."),
        };
        var clauses = ParseFilter(body.Str("filter") ?? "");
        var experimentIds = body.Items("experiment_ids").Select(e => e.GetString()!).ToHashSet(StringComparer.Ordinal);
        var matches = _runs.Values
            .Where(r => experimentIds.Contains(r.ExperimentId) && view(r))
            .Where(r => clauses.All(c => r.Tags.TryGetValue(c.Key, out var value) && (c.Equal ? value == c.Value : value != c.Value)))
            .OrderByDescending(r => r.StartTime)
            .ThenBy(r => r.RunId, StringComparer.Ordinal)
            .ToList();
        var (page, next) = Paginate(matches, body.Str("page_token"), maxResults);
        return Json(w =>
        {
            if (page.Count > 0)
            {
                w.WriteStartArray("runs");
                foreach (var run in page)
                {
                    w.WriteStartObject();
                    WriteRun(w, run);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            if (next is not null) w.WriteString("next_page_token", next);
        });
    }

    sealed record TagClause(string Key, bool Equal, string Value);

    // tags.<key> (=|!=) <value>, keys bare, in backticks or double quotes; values tokenised as sqlparse does
    // ('...' with '' or \' inside, or "...") and then, as MLflow's _strip_quotes, only their end quotes removed:
    // nothing is unescaped.
    [GeneratedRegex("""\G\s*tags\.(?:`(?<key>[^`]+)`|"(?<key>[^"]+)"|(?<key>[\w.]+))\s*(?<op>!=|=)\s*(?<value>'(?:''|\\'|[^'])*'|"(?:""|\\"|[^"])*")\s*""")]
    private static partial Regex TagClausePattern();

    [GeneratedRegex(@"\GAND\s+", RegexOptions.IgnoreCase)]
    private static partial Regex AndPattern();

    static List<TagClause> ParseFilter(string filter)
    {
        var clauses = new List<TagClause>();
        if (string.IsNullOrWhiteSpace(filter)) return clauses;
        var position = 0;
        while (true)
        {
            var match = TagClausePattern().Match(filter, position);
            if (!match.Success)
                throw FakeMlflowError.Invalid($"Invalid filter '{filter}' (the fake server understands only tags.<key> = / != '<value>' joined with AND).");
            var value = match.Groups["value"].Value;
            clauses.Add(new TagClause(match.Groups["key"].Value, match.Groups["op"].Value == "=", value[1..^1]));
            position = match.Index + match.Length;
            if (position == filter.Length) return clauses;
            var and = AndPattern().Match(filter, position);
            if (!and.Success) throw FakeMlflowError.Invalid($"Invalid filter '{filter}': expected AND at position {position}.");
            position = and.Index + and.Length;
        }
    }

    // Logging

    FakeResponse LogBatch(JsonElement body)
    {
        var run = ActiveRun(body);
        var metrics = body.Items("metrics").ToList();
        var parameters = body.KeyValues("params");
        var tags = body.KeyValues("tags");
        if (metrics.Count > 1000) throw FakeMlflowError.Invalid($"A batch logging request can contain at most 1000 metrics. Got {metrics.Count} metrics.");
        if (parameters.Count > 100) throw FakeMlflowError.Invalid($"A batch logging request can contain at most 100 params. Got {parameters.Count} params.");
        if (tags.Count > 100) throw FakeMlflowError.Invalid($"A batch logging request can contain at most 100 tags. Got {tags.Count} tags.");
        var total = metrics.Count + parameters.Count + tags.Count;
        if (total > 1000) throw FakeMlflowError.Invalid($"A batch logging request can contain at most 1000 metrics, params and tags in total. Got {total}.");

        var points = new List<FakeMetric>();
        foreach (var metric in metrics)
        {
            var key = metric.Str("key")!;
            FakeLimits.Key("metrics.key", key);
            var timestamp = metric.Long("timestamp")!.Value;
            if (timestamp < 0) throw FakeMlflowError.Invalid($"Invalid value {timestamp} for parameter 'metrics.timestamp' supplied.");
            points.Add(new FakeMetric(key, metric.Dbl("value"), timestamp, metric.Long("step") ?? 0));
        }
        var duplicates = parameters.GroupBy(p => p.Key, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicates.Count > 0)
            throw FakeMlflowError.Invalid($"Duplicate parameter keys have been submitted: [{string.Join(", ", duplicates.Select(d => $"'{d}'"))}]. Please ensure the request contains only one param value per param key.");
        foreach (var (key, value) in parameters)
        {
            FakeLimits.Key("params.key", key);
            FakeLimits.MaxLength("params.value", value, 6000);
            if (run.Params.TryGetValue(key, out var old) && old != value)
                throw FakeMlflowError.Invalid($"Changing param values is not allowed. Param with key='{key}' was already logged with value='{old}' for run ID='{run.RunId}'. Attempted logging new value '{value}'.");
        }
        CheckRunTags(tags, "tags");

        run.Metrics.AddRange(points);
        foreach (var (key, value) in parameters) run.Params[key] = value;
        foreach (var (key, value) in tags) run.Tags[key] = value;
        return Empty();
    }

    /// <summary>As MLflow's handler: the MLmodel document (a JSON string) needs these keys and is appended to the run's tag mlflow.log-model.history.</summary>
    FakeResponse LogModel(JsonElement body)
    {
        var run = ActiveRun(body);
        JsonElement model;
        try
        {
            model = JsonDocument.Parse(body.Str("model_json")!).RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw FakeMlflowError.Invalid($"Malformed model info. \n {e.Message}");
        }
        foreach (var key in new[] { "artifact_path", "flavors", "utc_time_created", "run_id" })
            if (model.ValueKind != JsonValueKind.Object || !model.TryGetProperty(key, out _))
                throw FakeMlflowError.Invalid($"Model json is missing mandatory fields: ['{key}']");
        var history = run.Tags.TryGetValue("mlflow.log-model.history", out var old) ? JsonNodeList(old) : [];
        history.Add(System.Text.Json.Nodes.JsonNode.Parse(model.GetRawText()));
        run.Tags["mlflow.log-model.history"] = new System.Text.Json.Nodes.JsonArray([.. history]).ToJsonString();
        return Empty();

        static List<System.Text.Json.Nodes.JsonNode?> JsonNodeList(string json) => [.. System.Text.Json.Nodes.JsonNode.Parse(json)!.AsArray().Select(n => n?.DeepClone())];
    }

    FakeResponse LogInputs(JsonElement body)
    {
        var run = ActiveRun(body);
        var inputs = new List<FakeDatasetInput>();
        foreach (var item in body.Items("datasets"))
        {
            var dataset = item.GetProperty("dataset");
            var name = dataset.Str("name")!;
            var digest = dataset.Str("digest")!;
            var source = dataset.Str("source")!;
            FakeLimits.MaxLength("dataset.name", name, 500);
            FakeLimits.MaxLength("dataset.digest", digest, 36);
            FakeLimits.MaxLength("dataset.source", source, 65535);
            if (dataset.Str("schema") is { } schema) FakeLimits.MaxLength("dataset.schema", schema, 1048575);
            if (dataset.Str("profile") is { } profile) FakeLimits.MaxLength("dataset.profile", profile, 16777215);
            var tags = item.KeyValues("tags");
            foreach (var (key, value) in tags)
            {
                FakeLimits.MaxLength("input_tags.key", key, 255);
                FakeLimits.MaxLength("input_tags.value", value, 500);
            }
            inputs.Add(new FakeDatasetInput(name, digest, dataset.Str("source_type")!, source, dataset.Str("schema"), dataset.Str("profile"),
                tags.ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal)));
        }
        foreach (var input in inputs)
            if (!run.Inputs.Any(i => i.Name == input.Name && i.Digest == input.Digest)) // re-logging is a no-op
                run.Inputs.Add(input);
        return Empty();
    }

    FakeResponse GetMetricHistory(JsonElement body)
    {
        var run = ExistingRun(body.Str("run_id")!);
        var key = body.Str("metric_key")!;
        var points = run.Metrics.Where(m => m.Key == key).ToList();
        var (page, next) = Paginate(points, body.Str("page_token"), body.Long("max_results"));
        return Json(w =>
        {
            if (page.Count > 0)
            {
                w.WriteStartArray("metrics");
                foreach (var metric in page) WriteMetric(w, metric);
                w.WriteEndArray();
            }
            if (next is not null) w.WriteString("next_page_token", next);
        });
    }
}
