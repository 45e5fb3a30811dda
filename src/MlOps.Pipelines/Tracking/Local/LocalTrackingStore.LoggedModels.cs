using System.Text.Json.Nodes;

namespace MlOps.Pipelines.Tracking.Local;

// Logged models: MLflow's FileStore.record_logged_model.
internal sealed partial class LocalTrackingStore
{
    /// <summary>
    /// Appends the model to the run's tag <c>mlflow.log-model.history</c> (a JSON list), as MLflow's FileStore does:
    /// the tag is written directly, without the tag length limit, because the history outgrows it.
    /// </summary>
    public Task LogModelAsync(string runId, string modelJson, CancellationToken cancellation) => Run(cancellation, () =>
    {
        var model = LoggedModel.Validate(modelJson);
        var directory = RunDirectory(runId);
        lock (RunLock(runId))
        {
            ReadActiveRun(directory);
            var path = KeyPath(Path.Combine(directory, "tags"), LoggedModel.HistoryTag, "tag");
            var history = File.Exists(path) && JsonNode.Parse(File.ReadAllText(path, Utf8)) is JsonArray earlier ? earlier : [];
            history.Add(model);
            WriteFile(path, LoggedModel.Serialize(history));
        }
    });
}
