using System.Text;
using System.Text.Json;
using MlOps.Pipelines;

namespace MlOps.Pipelines.Examples;

// Deploy: only a blessed model ships. Until the registry exists, shipping means copying the model, its transform
// and its evaluation to artifacts/FlightDelays/deployed/ with a record of what was shipped. Never cached: it is
// a side effect, made idempotent by comparing with what is already deployed.
public sealed partial class FlightDelays
{
    sealed record Deployment(string ModelSha256, string TransformSha256, double RocAuc, string Data);

    AbsolutePath DeployedDirectory => ArtifactsDirectory / "deployed";

    void DeployModel(TargetContext context)
    {
        var evaluation = context.Load(Evaluation);
        if (!evaluation.Blessed)
        {
            var failed = new StringBuilder("The evaluation withheld its blessing; the model does not ship. Failed gates:");
            foreach (var gate in evaluation.Gates.Where(g => !g.Passed))
                failed.Append($"\n  {gate.Name}: {gate.Metric} = {Format(gate.Value)}, needs >= {Format(gate.Threshold)}");
            throw new GateFailedException(failed.ToString());
        }

        var files = new[] { context.PathOf(Model), context.PathOf(Transform), context.PathOf(Evaluation) };
        var deployment = new Deployment(Sha256(files[0]), Sha256(files[1]), evaluation.RocAuc, Display(InputFile));
        var record = DeployedDirectory / "deployment.json";
        if (File.Exists(record) && JsonSerializer.Deserialize<Deployment>(File.ReadAllText(record)) == deployment)
        {
            context.Info($"up to date: model {deployment.ModelSha256[..12]} is already deployed in {Display(DeployedDirectory)}");
            return;
        }
        Directory.CreateDirectory(DeployedDirectory);
        foreach (var file in files) CopyAtomically(file, DeployedDirectory / file.Name);
        // The record goes last: a deployment without it is incomplete and is redone by the next run.
        var temporary = record + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(deployment));
        File.Move(temporary, record, overwrite: true);
        context.Info($"deployed model {deployment.ModelSha256[..12]} (ROC-AUC {Format(deployment.RocAuc)}) to {Display(DeployedDirectory)}");
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
