using MlOps.Pipelines.ML.Data.Tables;

namespace MlOps.Pipelines.ML.Features;

internal enum StepKind
{
    FillMissing,
    Affine,
    Clip,
    Log1p,
    Bucketize,
    Combine,
}

/// <summary>One element-wise step with its constants: what a chain applies to each value in turn.</summary>
internal readonly record struct ChainStep(StepKind Kind, double A = 0, double B = 0, BinaryOperator Operator = BinaryOperator.Add, bool ConstantFirst = false, double[]? Edges = null);

/// <summary>
/// Most features are one column followed by element-wise steps with constants (impute, scale, clip, log1p,
/// buckets, arithmetic with a number). Such a chain is compiled to a list of steps the backend can apply to each
/// value while it is in a register — one read of the column, one write of the output — instead of a pass per step.
/// </summary>
internal static class Chains
{
    /// <summary>The source column and the steps of <paramref name="node"/> when it is such a chain; null otherwise.</summary>
    public static (string Column, ChainStep[] Steps)? Compile(NumericNode node)
    {
        var steps = new List<ChainStep>();
        while (true)
        {
            switch (node)
            {
                case ColumnNode column:
                    steps.Reverse();
                    return (column.Column, [.. steps]);
                case Log1pNode log:
                    steps.Add(new ChainStep(StepKind.Log1p));
                    node = log.Input;
                    break;
                case ImputeNode { Value: { } value } impute:
                    steps.Add(new ChainStep(StepKind.FillMissing, value));
                    node = impute.Input;
                    break;
                case ScaleNode { Shift: { } shift, Scale: { } scale } scaled:
                    steps.Add(new ChainStep(StepKind.Affine, shift, scale));
                    node = scaled.Input;
                    break;
                case ClipNode clip:
                    steps.Add(new ChainStep(StepKind.Clip, clip.Min, clip.Max));
                    node = clip.Input;
                    break;
                case BucketizeNode { Edges: { } edges } buckets:
                    steps.Add(new ChainStep(StepKind.Bucketize, Edges: edges));
                    node = buckets.Input;
                    break;
                case BinaryNode { Right: ConstantNode constant } binary:
                    steps.Add(new ChainStep(StepKind.Combine, constant.Value, Operator: binary.Operator));
                    node = binary.Left;
                    break;
                case BinaryNode { Left: ConstantNode constant } binary:
                    steps.Add(new ChainStep(StepKind.Combine, constant.Value, Operator: binary.Operator, ConstantFirst: true));
                    node = binary.Right;
                    break;
                default:
                    return null;
            }
        }
    }

    /// <summary>The chain step by step over blocks with the backend's kernels: the definition a fused loop must match.</summary>
    public static void RunByBlocks(FeatureBackend backend, Column column, int start, ReadOnlySpan<ChainStep> steps, Span<double> buffer, Span<float> destination)
    {
        for (var b = 0; b < destination.Length; b += buffer.Length)
        {
            var values = buffer[..Math.Min(buffer.Length, destination.Length - b)];
            ColumnLoader.Load(column, start + b, values);
            foreach (var step in steps)
            {
                switch (step.Kind)
                {
                    case StepKind.FillMissing: backend.FillMissing(values, step.A); break;
                    case StepKind.Affine: backend.Affine(values, step.A, step.B); break;
                    case StepKind.Clip: backend.Clip(values, step.A, step.B); break;
                    case StepKind.Log1p: backend.Log1p(values); break;
                    case StepKind.Bucketize: backend.Bucketize(values, step.Edges); break;
                    default: backend.Combine(values, step.A, step.Operator, step.ConstantFirst); break;
                }
            }
            backend.Narrow(values, destination.Slice(b, values.Length));
        }
    }
}
