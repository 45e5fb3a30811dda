using MlOps.Pipelines.ML.Data.Tables;
using MlOps.Pipelines.ML.Features;
using MlOps.Pipelines.ML.Training;

namespace MlOps.Pipelines.ML.Packaging;

/// <summary>One input column of a signature, with its MLflow type name.</summary>
/// <param name="Name">The raw column's name.</param>
/// <param name="Type">boolean, integer, long, float, double, datetime or string.</param>
/// <param name="Required">Whether the column must be present (its values may still be missing).</param>
public sealed record SignatureColumn(string Name, string Type, bool Required);

/// <summary>
/// What a packaged model takes and gives, as MLflow describes it: the raw columns the feature transform reads,
/// and a float64 tensor of rows × outputs.
/// </summary>
public sealed class ModelSignature
{
    internal ModelSignature(IReadOnlyList<FeatureInput> inputs, int outputsPerRow)
    {
        Inputs = [.. inputs.Select(input => new SignatureColumn(input.Name, MlflowType(input.Type), Required: true))];
        OutputShape = outputsPerRow == 1 ? [-1] : [-1, outputsPerRow];
        InputsJson = PythonJson.Write(Inputs.Select(c => new PythonJson.Obj(("type", c.Type), ("name", c.Name), ("required", c.Required))));
        OutputsJson = PythonJson.Write(new[]
        {
            new PythonJson.Obj(("type", "tensor"), ("tensor-spec", new PythonJson.Obj(("dtype", "float64"), ("shape", OutputShape)))),
        });
    }

    internal ModelSignature(IModel model, FeatureTransform transform) : this(transform.Inputs, model.OutputsPerRow)
    {
    }

    /// <summary>The raw input columns, in the transform's order.</summary>
    public IReadOnlyList<SignatureColumn> Inputs { get; }

    /// <summary>The output tensor's shape: [-1] (one value per row) or [-1, classes]; -1 is the row count.</summary>
    public IReadOnlyList<int> OutputShape { get; }

    /// <summary>The column specs as the JSON string the MLmodel file stores under signature.inputs.</summary>
    public string InputsJson { get; }

    /// <summary>The tensor spec as the JSON string the MLmodel file stores under signature.outputs.</summary>
    public string OutputsJson { get; }

    /// <summary>MLflow's name for a column type in a column spec (signatures, dataset schemas).</summary>
    public static string MlflowType(ColumnType type) => type switch
    {
        ColumnType.Boolean => "boolean",
        ColumnType.Int32 => "integer",
        ColumnType.Int64 => "long",
        ColumnType.Float32 => "float",
        ColumnType.Float64 => "double",
        ColumnType.Timestamp => "datetime",
        ColumnType.String or ColumnType.Categorical => "string",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "No MLflow type for this column type."),
    };
}
