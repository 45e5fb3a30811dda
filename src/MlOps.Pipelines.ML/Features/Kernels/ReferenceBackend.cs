namespace MlOps.Pipelines.ML.Features;

/// <summary>The scalar definition of every kernel: what the vector kernels must reproduce.</summary>
internal sealed class ReferenceBackend : FeatureBackend
{
    public override string Name => "reference";

    internal override bool Parallel => false;

    internal override void Log1p(Span<double> values)
    {
        foreach (ref var x in values) x = Math.Log(1 + x);
    }

    internal override void Affine(Span<double> values, double shift, double scale)
    {
        foreach (ref var x in values) x = (x - shift) * scale;
    }

    internal override void Clip(Span<double> values, double min, double max)
    {
        foreach (ref var x in values)
        {
            if (x < min) x = min;
            if (x > max) x = max;
        }
    }

    internal override void FillMissing(Span<double> values, double value)
    {
        foreach (ref var x in values) if (double.IsNaN(x)) x = value;
    }

    internal override void Combine(Span<double> left, ReadOnlySpan<double> right, BinaryOperator op)
    {
        for (var i = 0; i < left.Length; i++) left[i] = Apply(left[i], right[i], op);
    }

    internal override void Combine(Span<double> values, double constant, BinaryOperator op, bool constantFirst)
    {
        foreach (ref var x in values) x = constantFirst ? Apply(constant, x, op) : Apply(x, constant, op);
    }

    internal override void Bucketize(Span<double> values, ReadOnlySpan<double> edges)
    {
        foreach (ref var x in values)
        {
            if (double.IsNaN(x)) continue;
            var count = 0;
            foreach (var edge in edges) if (x >= edge) count++;
            x = count;
        }
    }

    internal override void Narrow(ReadOnlySpan<double> values, Span<float> destination)
    {
        for (var i = 0; i < values.Length; i++) destination[i] = (float)values[i];
    }

    internal static double Apply(double left, double right, BinaryOperator op) => op switch
    {
        BinaryOperator.Add => left + right,
        BinaryOperator.Subtract => left - right,
        BinaryOperator.Multiply => left * right,
        _ => left / right,
    };
}
