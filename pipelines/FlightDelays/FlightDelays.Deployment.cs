using System.Text;
using MlOps.Pipelines;

namespace MlOps.Pipelines.Examples;

// Deploy: only a blessed model ships. Until the registry exists, shipping means copying the model, its transform
// and its evaluation to artifacts/FlightDelays/deployed/ with a record of what was shipped.
public sealed partial class FlightDelays
{
    sealed record Deployment(string ModelSha256, string TransformSha256, double RocAuc, string Data);

    AbsolutePath DeployedDirectory => ArtifactsDirectory / "deployed";

    void DeployModel(TargetContext context)
    {
        var evaluation = ArtifactFiles.ReadJson<EvaluationReport>(EvaluationFile, nameof(Evaluate));
        if (!evaluation.Blessed)
        {
            var failed = new StringBuilder("The evaluation withheld its blessing; the model does not ship. Failed gates:");
            foreach (var gate in evaluation.Gates.Where(g => !g.Passed))
                failed.Append($"\n  {gate.Name}: {gate.Metric} = {Format(gate.Value)}, needs >= {Format(gate.Threshold)}");
            throw new GateFailedException(failed.ToString());
        }

        var deployment = new Deployment(Sha256(ModelPath), Sha256(TransformFile), evaluation.RocAuc, Display(InputFile));
        var record = DeployedDirectory / "deployment.json";
        if (File.Exists(record) && ArtifactFiles.ReadJson<Deployment>(record, nameof(Deploy)) == deployment)
        {
            context.Info($"already deployed: model {deployment.ModelSha256[..12]} is the one in {Display(DeployedDirectory)}; nothing changed");
            return;
        }
        foreach (var file in new[] { ModelPath, TransformFile, EvaluationFile })
            ArtifactFiles.Write(DeployedDirectory / file.Name, stream =>
            {
                using var source = File.OpenRead(file);
                source.CopyTo(stream);
            });
        // The record goes last: a deployment without it is incomplete and is redone by the next run.
        ArtifactFiles.WriteJson(record, deployment);
        context.Info($"deployed model {deployment.ModelSha256[..12]} (ROC-AUC {Format(deployment.RocAuc)}) to {Display(DeployedDirectory)}");
    }
}
