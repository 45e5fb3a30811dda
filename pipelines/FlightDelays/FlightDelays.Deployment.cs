using System.Text;
using System.Text.Json;
using MlOps.Pipelines;
using MlOps.Pipelines.ML.Evaluation;
using MlOps.Pipelines.ML.Packaging;

namespace MlOps.Pipelines.Examples;

// Deploy: only a blessed model ships, and only when it is not worse than the registered champion by more than
// MaxAucDrop (compared here, not in the cached Evaluate, because the champion changes outside the cache's view).
// Shipping copies model, transform and evaluation to artifacts/FlightDelays/deployed/, registers that folder as a
// version of the registered model "FlightDelays" and moves the champion alias to it. Never cached: it is a side
// effect, made idempotent by comparing the package with what the champion already holds.
public sealed partial class FlightDelays
{
    const string RegisteredModel = "FlightDelays";
    const string PackageTag = "mlops.package_sha256";
    const string PreviousChampionTag = "mlops.previous_champion";

    sealed record Deployment(string PackageSha256, double RocAuc, string Data);

    AbsolutePath DeployedDirectory => ArtifactsDirectory / "deployed";

    async Task DeployModel(TargetContext context)
    {
        var evaluation = context.Load(Evaluation);
        if (!evaluation.Blessed)
            throw new GateFailedException("The evaluation withheld its blessing; the model does not ship. Failed gates:\n  " +
                string.Join("\n  ", new Blessing(false, new Dictionary<string, double>(), null, evaluation.Gates).FailedGatesTable()));

        // The package's hash is its identity; Evaluate verified it (every file) when it scored the package. It is
        // verified again below before anything new is deployed.
        var package = evaluation.PackageSha256;
        var deployment = new Deployment(package, evaluation.RocAuc, Display(InputFile));
        var registry = context.Registry;
        var champion = registry is null ? null : await registry.GetAsync(RegisteredModel, "champion", context.CancellationToken);
        if (champion is not null && champion.Tags.GetValueOrDefault(PackageTag) == package)
        {
            context.Info($"up to date: model {deployment.PackageSha256[..12]} is already the champion (version {champion.Version} of {RegisteredModel} in {registry!.Location})");
            WriteDeployment(deployment, context.PathOf(Model), context.PathOf(Evaluation));
            return;
        }
        // Against the champion's metrics as its run recorded them (none: the gate is skipped).
        var versus = Gates.Define("test").NotWorseThanChampion("roc_auc", MaxAucDrop).Evaluate(
            new Dictionary<string, double> { ["roc_auc"] = evaluation.RocAuc },
            champion?.Metrics.TryGetValue("test_roc_auc", out var championAuc) == true ? new Dictionary<string, double> { ["roc_auc"] = championAuc } : null);
        if (!versus.Blessed)
            throw new GateFailedException($"The model does not ship: it is worse than the champion (version {champion!.Version} of {RegisteredModel}). Failed gates:\n  " +
                string.Join("\n  ", versus.FailedGatesTable()));

        ModelPackage.Load(context.PathOf(Model), package); // refuses a package changed since it was evaluated
        var changed = WriteDeployment(deployment, context.PathOf(Model), context.PathOf(Evaluation));
        if (registry is null)
        {
            context.Info(changed ? $"deployed model {deployment.PackageSha256[..12]} (ROC-AUC {Format(deployment.RocAuc)}) to {Display(DeployedDirectory)}; tracking is off, so nothing is registered"
                : $"up to date: model {deployment.PackageSha256[..12]} is already deployed in {Display(DeployedDirectory)}");
            return;
        }
        context.LogMetric("test_roc_auc", evaluation.RocAuc);
        var tags = new Dictionary<string, string> { [PackageTag] = package };
        if (champion is not null) tags[PreviousChampionTag] = champion.Version;
        var version = await registry.RegisterAsync(RegisteredModel, DeployedDirectory / "model", tags, ["champion"], context.CancellationToken);
        context.Info(version is null
            ? $"deployed model {deployment.PackageSha256[..12]}; its registration waits for {registry.Location} (./build.sh SyncRuns completes it)"
            : $"deployed model {deployment.PackageSha256[..12]} (ROC-AUC {Format(deployment.RocAuc)}): version {version.Version} of {RegisteredModel} is the champion" +
              (champion is null ? "" : $" (was version {champion.Version})"));
    }

    /// <summary>
    /// Copies the package (as <c>deployed/model/</c>) and the evaluation to deployed/ unless they are there already;
    /// the record goes last, so a deployment without it is incomplete and is redone by the next run. True when
    /// something changed.
    /// </summary>
    bool WriteDeployment(Deployment deployment, AbsolutePath package, AbsolutePath evaluation)
    {
        var record = DeployedDirectory / "deployment.json";
        if (File.Exists(record) && JsonSerializer.Deserialize<Deployment>(File.ReadAllText(record)) == deployment) return false;
        var model = DeployedDirectory / "model";
        if (Directory.Exists(model)) Directory.Delete(model, recursive: true);
        Directory.CreateDirectory(model);
        foreach (var file in Directory.GetFiles(package)) CopyAtomically(file, model / Path.GetFileName(file));
        CopyAtomically(evaluation, DeployedDirectory / evaluation.Name);
        var temporary = record + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(deployment));
        File.Move(temporary, record, overwrite: true);
        return true;
    }

    /// <summary>Points the champion alias back at the version the current champion replaced.</summary>
    async Task RollbackModel(TargetContext context)
    {
        var registry = context.Registry ?? throw new InvalidOperationException("Rollback needs the model registry: tracking is off (--tracking false).");
        var champion = await registry.GetAsync(RegisteredModel, "champion", context.CancellationToken)
            ?? throw new InvalidOperationException($"{RegisteredModel} has no champion in {registry.Location}: nothing to roll back.");
        if (champion.Tags.GetValueOrDefault(PreviousChampionTag) is not { Length: > 0 } previous)
            throw new InvalidOperationException($"Version {champion.Version} of {RegisteredModel} replaced no earlier champion: nothing to roll back to.");
        if (!await registry.SetAliasAsync(RegisteredModel, "champion", previous, context.CancellationToken))
            throw new InvalidOperationException($"{registry.Location} did not confirm moving the alias; ./build.sh SyncRuns completes it.");
        context.Info($"champion: version {champion.Version} → version {previous} of {RegisteredModel}");
    }

    static void CopyAtomically(string source, string destination)
    {
        var temporary = destination + ".tmp";
        File.Copy(source, temporary, overwrite: true);
        File.Move(temporary, destination, overwrite: true);
    }

    static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
    }
}
