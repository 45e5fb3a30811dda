namespace MlOps.Pipelines.ML.Features;

/// <summary>
/// Where feature kernels run. <see cref="Cpu"/> uses the vector units on every core; <see cref="Reference"/> is
/// the plain scalar implementation on one thread that the vector kernels are tested against. A GPU backend would
/// be a third implementation of the same element-wise operations.
/// </summary>
public abstract class FeatureBackend
{
    private protected FeatureBackend()
    {
    }

    /// <summary>Vectorised kernels (256-bit lanes) on all cores. The default.</summary>
    public static FeatureBackend Cpu { get; } = new CpuBackend();

    /// <summary>One element at a time on one thread: slow, obviously correct.</summary>
    public static FeatureBackend Reference { get; } = new ReferenceBackend();

    public abstract string Name { get; }

    /// <summary>Whether blocks may be computed on several threads at once.</summary>
    internal abstract bool Parallel { get; }

    /// <summary>The backend called <paramref name="name"/> ("cpu" or "reference").</summary>
    public static FeatureBackend Parse(string name) => name.ToLowerInvariant() switch
    {
        "cpu" => Cpu,
        "reference" => Reference,
        _ => throw new ArgumentException($"Unknown feature backend '{name}': use 'cpu' or 'reference'.", nameof(name)),
    };

    public override string ToString() => Name;

    // The element-wise operations every feature is built from. Missing values are NaN throughout.

    /// <summary>x ← log(1 + x).</summary>
    internal abstract void Log1p(Span<double> values);

    /// <summary>x ← (x − shift) × scale.</summary>
    internal abstract void Affine(Span<double> values, double shift, double scale);

    /// <summary>x ← min when x &lt; min, max when x &gt; max; NaN stays NaN.</summary>
    internal abstract void Clip(Span<double> values, double min, double max);

    /// <summary>x ← value where x is NaN.</summary>
    internal abstract void FillMissing(Span<double> values, double value);

    /// <summary>left ← left (op) right, element by element.</summary>
    internal abstract void Combine(Span<double> left, ReadOnlySpan<double> right, BinaryOperator op);

    /// <summary>x ← x (op) constant, or constant (op) x when <paramref name="constantFirst"/>.</summary>
    internal abstract void Combine(Span<double> values, double constant, BinaryOperator op, bool constantFirst);

    /// <summary>x ← the number of <paramref name="edges"/> (ascending) that are ≤ x; NaN stays NaN.</summary>
    internal abstract void Bucketize(Span<double> values, ReadOnlySpan<double> edges);

    /// <summary>destination ← (float)values, rounded to nearest.</summary>
    internal abstract void Narrow(ReadOnlySpan<double> values, Span<float> destination);

    /// <summary>
    /// destination ← the chain's steps applied to rows [start, start + destination.Length) of the column. By default
    /// step by step over blocks of <paramref name="buffer"/>'s size; a backend may fuse the steps, with the same bits,
    /// and write with streaming stores when <paramref name="streaming"/> (see <see cref="StreamingStores"/>).
    /// </summary>
    internal virtual void RunChain(Data.Tables.Column column, int start, ReadOnlySpan<ChainStep> steps, Span<double> buffer, Span<float> destination, bool streaming = false) =>
        Chains.RunByBlocks(this, column, start, steps, buffer, destination);
}

internal enum BinaryOperator
{
    Add,
    Subtract,
    Multiply,
    Divide,
}
