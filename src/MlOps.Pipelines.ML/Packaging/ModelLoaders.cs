using MlOps.Pipelines.ML.Training;

namespace MlOps.Pipelines.ML.Packaging;

/// <summary>
/// Readers of model files by kind name. A package names its kind in the MLmodel flavor, so loading needs no
/// knowledge of the concrete type; a new model type adds one line here.
/// </summary>
internal static class ModelLoaders
{
    static readonly Dictionary<string, Func<Stream, IModel>> Loaders = new(StringComparer.Ordinal)
    {
        [ModelKinds.GradientBoostedTrees] = GradientBoostedTreesModel.Load,
        [ModelKinds.Linear] = LinearModel.Load,
    };

    public static bool IsKnown(string kind) => Loaders.ContainsKey(kind);

    public static IModel Load(string kind, Stream stream) =>
        Loaders.TryGetValue(kind, out var load)
            ? load(stream)
            : throw new InvalidDataException($"Unknown model kind '{kind}' (known: {string.Join(", ", Loaders.Keys.Order(StringComparer.Ordinal))}).");
}
