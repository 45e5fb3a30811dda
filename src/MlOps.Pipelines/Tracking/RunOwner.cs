namespace MlOps.Pipelines.Tracking;

/// <summary>
/// The <c>user_id</c> a run is created with. MLflow's Python client takes it from the run's <c>mlflow.user</c> tag
/// (<c>tags.get(MLFLOW_USER, "unknown")</c> in <c>TrackingServiceClient.create_run</c>); both stores do the same, so
/// the UI's "User" column shows who ran the build whichever store it reads.
/// </summary>
internal static class RunOwner
{
    public const string UserTag = "mlflow.user";

    public static string Of(IReadOnlyList<Tag> tags, string fallback = "unknown") =>
        tags.LastOrDefault(t => t.Key == UserTag)?.Value is { Length: > 0 } user ? user : fallback;
}
