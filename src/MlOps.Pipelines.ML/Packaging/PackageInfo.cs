using MlOps.Pipelines.ML.Data.Validation;

namespace MlOps.Pipelines.ML.Packaging;

/// <summary>Where a model came from: enough to rebuild it or to find what it was trained on.</summary>
/// <param name="Commit">Source revision the training ran at.</param>
/// <param name="DataDigest">Digest of the training data.</param>
/// <param name="Parameters">Training parameters, as text (MLflow's params are strings).</param>
public sealed record PackageLineage(string Commit, string DataDigest, IReadOnlyDictionary<string, string> Parameters);

/// <summary>Names of the model kinds a package can hold (the key of the loader that reads the model back).</summary>
public static class ModelKinds
{
    /// <summary>A <see cref="Training.GradientBoostedTreesModel"/>.</summary>
    public const string GradientBoostedTrees = "gradient-boosted-trees";

    /// <summary>A <see cref="Training.LinearModel"/> (ridge, binary or multinomial logistic regression).</summary>
    public const string Linear = "linear";
}

/// <summary>Everything a package records besides the model and the feature transform.</summary>
/// <param name="ModelKind">One of <see cref="ModelKinds"/>: how the model file is read back.</param>
/// <param name="Lineage">Commit, data digest and parameters of the training.</param>
public sealed record PackageInfo(string ModelKind, PackageLineage Lineage)
{
    /// <summary>Evaluation metrics by name.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>Profile of the training data, the reference for drift checks; null to leave it out.</summary>
    public DataProfile? Profile { get; init; }

    /// <summary>
    /// A few raw rows as column → value (as <see cref="Predictor.PredictRow"/> takes them); empty to leave the
    /// example out. Every row is scored while writing, so an example the package cannot serve is refused.
    /// </summary>
    public IReadOnlyList<IReadOnlyDictionary<string, object?>> InputExample { get; init; } = [];

    /// <summary>The MLmodel's model_uuid (32 lowercase hex digits); null: a new random one.</summary>
    public string? ModelUuid { get; init; }

    /// <summary>The MLmodel's creation time (UTC); null: now. Fix it, with the uuid, for byte-identical packages.</summary>
    public DateTime? CreatedUtc { get; init; }
}
