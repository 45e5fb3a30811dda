namespace MlOps.Pipelines.ML.Evaluation;

/// <summary>One slice's metrics, as <see cref="Gates.Evaluate"/> reads them for slice gates.</summary>
/// <param name="Key">The slice label (e.g. the origin airport).</param>
/// <param name="Rows">Rows in the slice; slice gates skip slices with fewer rows than their <c>minRows</c>.</param>
/// <param name="Metrics">The slice's metrics by name (e.g. <c>roc_auc</c>); empty when they were not computed.</param>
public sealed record SliceValue(string Key, int Rows, IReadOnlyDictionary<string, double> Metrics)
{
    /// <summary>The slices of <see cref="Slices.Binary"/>, their metrics named as <see cref="GateMetrics.Binary"/> names them.</summary>
    /// <param name="slices">Binary slices; those with too few rows get no metrics.</param>
    public static IReadOnlyList<SliceValue> FromBinary(IEnumerable<BinarySlice> slices)
    {
        ArgumentNullException.ThrowIfNull(slices);
        return [.. slices.Select(s => new SliceValue(s.Key, s.Rows,
            s.Metrics is null ? new Dictionary<string, double>(StringComparer.Ordinal) : GateMetrics.Binary(s.Metrics)))];
    }
}

/// <summary>The metric names gates use for the library's metric results, so a pipeline declares gates by those names.</summary>
public static class GateMetrics
{
    /// <summary>
    /// A binary summary as named metrics: <c>roc_auc</c>, <c>average_precision</c>, <c>log_loss</c>, <c>brier</c>,
    /// and at the threshold <c>accuracy</c>, <c>precision</c>, <c>recall</c>, <c>f1</c>.
    /// </summary>
    /// <param name="summary">The metrics of one set of rows.</param>
    public static IReadOnlyDictionary<string, double> Binary(BinarySummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["roc_auc"] = summary.RocAuc,
            ["average_precision"] = summary.AveragePrecision,
            ["log_loss"] = summary.LogLoss,
            ["brier"] = summary.Brier,
            ["accuracy"] = summary.AtThreshold.Accuracy,
            ["precision"] = summary.AtThreshold.Precision,
            ["recall"] = summary.AtThreshold.Recall,
            ["f1"] = summary.AtThreshold.F1,
        };
    }
}
