using MlOps.Pipelines.ML.Data.Tables;
using MlOps.Pipelines.ML.Features;
using MlOps.Pipelines.ML.Training;

namespace MlOps.Pipelines.ML.Packaging;

/// <summary>
/// A model with its fitted feature transform: takes raw rows, computes the features exactly as training did, and
/// predicts. A table and a single row go through the same transform and the same model call, so they give the
/// same bits.
/// </summary>
public sealed class Predictor
{
    readonly IModel _model;
    readonly FeatureTransform _transform;

    internal Predictor(IModel model, FeatureTransform transform)
    {
        // A model trained on other columns than the transform makes would predict from misaligned features.
        if (!model.FeatureNames.SequenceEqual(transform.OutputNames, StringComparer.Ordinal))
            throw new ArgumentException(
                $"The model reads ({string.Join(", ", model.FeatureNames)}), the transform makes ({string.Join(", ", transform.OutputNames)}).");
        _model = model;
        _transform = transform;
    }

    /// <summary>The raw columns a row or table must have, with their types.</summary>
    public IReadOnlyList<FeatureInput> Inputs => _transform.Inputs;

    /// <summary>Values per row: 1 (a probability of the positive class, or a value), or the class count of a multiclass model.</summary>
    public int OutputsPerRow => _model.OutputsPerRow;

    /// <summary>Predictions for every row of <paramref name="rawRows"/>: rows × <see cref="OutputsPerRow"/> values, row after row.</summary>
    /// <param name="rawRows">A table with the <see cref="Inputs"/> columns (others are ignored).</param>
    public double[] Predict(Table rawRows)
    {
        ArgumentNullException.ThrowIfNull(rawRows);
        return Score(_transform.Transform(rawRows));
    }

    /// <summary>Predictions for one row given as column → value (null when missing): <see cref="OutputsPerRow"/> values.</summary>
    /// <param name="row">A value for every one of the <see cref="Inputs"/>.</param>
    public double[] PredictRow(IReadOnlyDictionary<string, object?> row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var features = _transform.TransformRow(row);
        return Score(FeatureMatrix.FromColumns(_transform.OutputNames, [.. features.Select(value => new[] { value })]));
    }

    double[] Score(FeatureMatrix features)
    {
        var output = new double[features.Rows * _model.OutputsPerRow];
        _model.Predict(features, output);
        return output;
    }
}
