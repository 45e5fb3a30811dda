using MlOps.Pipelines.ML.Data.Tables;

namespace MlOps.Pipelines.ML.Features;

/// <summary>
/// Named features, in output order. <see cref="Fit"/> learns their statistics from the training rows and returns
/// the <see cref="FeatureTransform"/> that applies them to any table, batch or single row.
/// </summary>
public sealed class FeatureSet
{
    readonly List<FeatureDefinition> _features = [];

    public IReadOnlyList<string> Names => [.. _features.Select(f => f.Name)];

    public FeatureSet Add(string name, NumericFeature feature) => Add(new FeatureDefinition(name, feature.Node, null));

    public FeatureSet Add(string name, EncodedFeature feature) => Add(new FeatureDefinition(name, null, feature.Node));

    FeatureSet Add(FeatureDefinition feature)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(feature.Name);
        if (_features.Any(f => f.Name == feature.Name)) throw new ArgumentException($"The feature set already has a feature named '{feature.Name}'.");
        _features.Add(feature);
        return this;
    }

    /// <summary>
    /// Learns every statistic (means, deviations, quantiles, vocabularies) from <paramref name="training"/>, on
    /// <paramref name="threads"/> threads (default: all cores); the result is the same for any number.
    /// </summary>
    public FeatureTransform Fit(Table training, FeatureBackend? backend = null, int? threads = null)
    {
        ArgumentNullException.ThrowIfNull(training);
        if (_features.Count == 0) throw new InvalidOperationException("The feature set is empty: add features before fitting.");
        TransformExecutor.Check(_features, training);
        var context = new FitContext(training, backend ?? FeatureBackend.Cpu, threads ?? Environment.ProcessorCount);
        // Features that read the same column are fitted one after the other, while its rows may still be in the
        // last-level cache; the statistics do not depend on the order.
        var fitted = new FeatureDefinition[_features.Count];
        foreach (var group in Enumerable.Range(0, _features.Count).GroupBy(f => _features[f].Columns.FirstOrDefault() ?? "", StringComparer.Ordinal))
            foreach (var f in group) fitted[f] = _features[f].Fit(context);
        var inputs = _features.SelectMany(f => f.Columns).Distinct().Order(StringComparer.Ordinal)
            .Select(c => new FeatureInput(c, training[c].Type)).ToList();
        return new FeatureTransform(inputs, fitted);
    }
}
