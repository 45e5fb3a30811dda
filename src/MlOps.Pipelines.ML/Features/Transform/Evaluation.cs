using MlOps.Pipelines.ML.Data.Tables;

namespace MlOps.Pipelines.ML.Features;

/// <summary>What one thread needs to evaluate expressions block by block: the table, the backend, scratch blocks.</summary>
internal sealed class BlockContext(Table table, FeatureBackend backend, int depth)
{
    readonly double[][] _scratch = [.. Enumerable.Range(0, depth).Select(_ => new double[Blocks.BlockRows])];

    public Table Table { get; } = table;
    public FeatureBackend Backend { get; } = backend;

    public Span<double> Scratch(int level, int length) => _scratch[level].AsSpan(0, length);
}

/// <summary>Whole columns of an expression, for fitting and for categories made from numbers.</summary>
internal static class ColumnEvaluator
{
    public static double[] Evaluate(NumericNode node, Table table, FeatureBackend backend, int threads)
    {
        var values = GC.AllocateUninitializedArray<double>(table.RowCount);
        Blocks.ForEachChunk(table.RowCount, backend.Parallel ? threads : 1, (start, length) =>
        {
            var block = new BlockContext(table, backend, node.Depth);
            for (var b = start; b < start + length; b += Blocks.BlockRows)
                node.Evaluate(block, b, values.AsSpan(b, Math.Min(Blocks.BlockRows, start + length - b)), 0);
        });
        return values;
    }
}

/// <summary>
/// The training table and the statistics fitting asks of it. Moments are remembered per expression (several
/// features often start from the same imputed column), and the moments of an imputed expression follow from those of
/// its input without another pass over the rows.
/// </summary>
internal sealed class FitContext(Table table, FeatureBackend backend, int threads)
{
    readonly Dictionary<NumericNode, Moments> _moments = [];
    readonly int _threads = backend.Parallel ? threads : 1;

    public Table Table { get; } = table;

    /// <summary>Moments per block, merged in block order within a chunk and chunks in order: the same bits for any thread count.</summary>
    public Moments Moments(NumericNode node)
    {
        if (_moments.TryGetValue(node, out var known)) return known;
        // Imputation adds (rows − present) copies of its value: merged in by Chan's formula (one fewer pass over the
        // column). Exact for the mean imputed (the mean is unchanged, no squared deviation is added); for another
        // value it may differ in the last bits from measuring the imputed column, deterministically.
        var moments = node is ImputeNode { Value: { } value } impute && double.IsFinite(value) && Moments(impute.Input) is { IsFinite: true } input
            ? input.Merge(Features.Moments.Repeated(value, Table.RowCount - input.Count))
            : Measure(node);
        _moments[node] = moments;
        return moments;
    }

    Moments Measure(NumericNode node)
    {
        var chunks = new Moments[Blocks.ChunkCount(Table.RowCount)];
        Blocks.ForEachChunk(Table.RowCount, _threads, (start, length) =>
        {
            var block = new BlockContext(Table, backend, node.Depth);
            var buffer = new double[Blocks.BlockRows];
            var moments = Features.Moments.Empty;
            for (var b = start; b < start + length; b += Blocks.BlockRows)
            {
                var values = buffer.AsSpan(0, Math.Min(Blocks.BlockRows, start + length - b));
                node.Evaluate(block, b, values, 0);
                moments = moments.Merge(Features.Moments.Of(values));
            }
            chunks[start / Blocks.ChunkRows] = moments;
        });
        return chunks.Aggregate(Features.Moments.Empty, (all, chunk) => all.Merge(chunk));
    }

    /// <summary>Quantiles straight from the table, block by block (no copy of the column); its moments give the range.</summary>
    public double[] Quantiles(NumericNode node, IReadOnlyList<double> probabilities) =>
        Features.Quantiles.Of(Table.RowCount, () =>
        {
            var block = new BlockContext(Table, backend, node.Depth);
            return (start, destination) => node.Evaluate(block, start, destination, 0);
        }, probabilities, _threads, Moments(node));

    public Categories Categories(CategoricalNode node) => node.Evaluate(Table, backend, threads);

    /// <summary>Rows per code (missing ones not counted); chunks counted in parallel add up to the same integers in any order.</summary>
    public long[] CountCodes(Categories categories)
    {
        var total = new long[categories.Labels.Count];
        var codes = categories.Codes;
        // Per-thread counts pay off when they are small next to the rows.
        if (_threads <= 1 || total.Length > codes.Length / 64)
        {
            foreach (var code in codes.Span) if (code >= 0) total[code]++;
            return total;
        }
        var gate = new object();
        Parallel.For(0, Blocks.ChunkCount(codes.Length), new ParallelOptions { MaxDegreeOfParallelism = _threads }, () => new long[total.Length], (chunk, _, local) =>
        {
            var (start, length) = Blocks.Chunk(chunk, codes.Length);
            foreach (var code in codes.Span.Slice(start, length)) if (code >= 0) local[code]++;
            return local;
        }, local =>
        {
            lock (gate)
                for (var i = 0; i < total.Length; i++) total[i] += local[i];
        });
        return total;
    }
}

/// <summary>
/// Computes every feature of a table in one pass: each chunk of rows is done block by block, every numeric
/// expression evaluated as a chain of kernels over a cached block and narrowed straight into its output column,
/// so no step writes a full-length temporary. Chunks run in parallel; each writes only its own rows.
/// </summary>
internal static class TransformExecutor
{
    /// <summary>
    /// The features of every row, into <paramref name="into"/>'s memory when given (it must have the right shape), with
    /// streaming stores when the matrix is big (or as <paramref name="streaming"/> says: tests check both ways).
    /// </summary>
    public static FeatureMatrix Run(IReadOnlyList<FeatureDefinition> features, Table table, FeatureBackend backend, int threads, FeatureMatrix? into = null, bool? streaming = null)
    {
        Check(features, table);
        var rows = table.RowCount;
        var names = features.SelectMany(f => f.OutputNames).ToArray();
        if ((long)rows * names.Length > Array.MaxLength)
            throw new InvalidOperationException($"{rows:N0} rows × {names.Length} features do not fit in one matrix; transform the table in slices.");
        if (into is not null && (into.Rows != rows || !into.Names.SequenceEqual(names, StringComparer.Ordinal)))
            throw new ArgumentException($"The destination matrix has {into.Rows:N0} rows × {into.Columns} columns; this transform of this table needs {rows:N0} × {names.Length} with the transform's column names.", nameof(into));
        // Every element is written below, so fresh memory need not be zeroed first.
        var values = into?.Values ?? GC.AllocateUninitializedArray<float>(rows * names.Length);
        var offsets = new int[features.Count];
        for (var f = 1; f < features.Count; f++) offsets[f] = offsets[f - 1] + features[f - 1].OutputNames.Count;
        // Categories are read (or built, for crosses) once per table; encoders map their labels once.
        var encoded = features.Select(f => f.Encoded is { } e ? (Categories: e.Input.Evaluate(table, backend, threads), Columns: (EncodedColumns?)null) : default).ToArray();
        for (var f = 0; f < features.Count; f++)
            if (features[f].Encoded is { } e) encoded[f].Columns = e.Prepare(encoded[f].Categories);
        var depth = features.Max(f => f.Numeric?.Depth ?? 0);
        // Chains (a column and element-wise steps) run fused over a whole chunk; other expressions block by block.
        var chains = features.Select(f => f.Numeric is { } numeric && Chains.Compile(numeric) is var (column, steps) ? (table[column], steps) : ((Column, ChainStep[])?)null).ToArray();
        // Chains of the same column run one after the other, so the later ones find the chunk of it still in cache.
        var chainOrder = Enumerable.Range(0, features.Count).Where(f => chains[f] is not null)
            .GroupBy(f => chains[f]!.Value.Item1.Name, StringComparer.Ordinal).SelectMany(g => g).ToArray();
        var stream = streaming ?? (long)values.Length * sizeof(float) >= StreamingStores.Threshold;
        // A big fresh matrix: each chunk maps its pages in one call per column before writing them (see FreshPages).
        var populate = stream && into is null;

        Blocks.ForEachChunk(rows, backend.Parallel ? threads : 1, (start, length) =>
        {
            if (populate)
                for (var column = 0; column < names.Length; column++) FreshPages.Populate(values.AsSpan(column * rows + start, length));
            var block = new BlockContext(table, backend, depth);
            var buffer = new double[Blocks.BlockRows];
            var narrowed = new float[Blocks.BlockRows];
            var slots = new int[Blocks.BlockRows];
            foreach (var f in chainOrder)
            {
                var (column, steps) = chains[f]!.Value;
                backend.RunChain(column, start, steps, buffer, values.AsSpan(offsets[f] * rows + start, length), stream);
            }
            for (var b = start; b < start + length; b += Blocks.BlockRows)
            {
                var n = Math.Min(Blocks.BlockRows, start + length - b);
                for (var f = 0; f < features.Count; f++)
                {
                    if (chains[f] is not null) continue;
                    var output = values.AsSpan(offsets[f] * rows);
                    if (features[f].Numeric is { } numeric)
                    {
                        numeric.Evaluate(block, b, buffer.AsSpan(0, n), 0);
                        if (stream)
                        {
                            backend.Narrow(buffer.AsSpan(0, n), narrowed.AsSpan(0, n));
                            StreamingStores.Copy(narrowed.AsSpan(0, n), output.Slice(b, n));
                        }
                        else
                        {
                            backend.Narrow(buffer.AsSpan(0, n), output.Slice(b, n));
                        }
                    }
                    else
                    {
                        encoded[f].Columns!.Write(encoded[f].Categories.Codes.Span.Slice(b, n), output, rows, b, slots, narrowed, stream);
                    }
                }
            }
            if (stream) StreamingStores.Fence();
        });
        return into ?? new FeatureMatrix(rows, names, values);
    }

    /// <summary>Every missing or mistyped input column at once, before any work starts.</summary>
    public static void Check(IReadOnlyList<FeatureDefinition> features, Table table)
    {
        var errors = new List<string>();
        foreach (var feature in features) feature.Check(table, errors);
        if (errors.Count > 0) throw new InvalidDataException(string.Join(Environment.NewLine, errors.Distinct()));
    }
}
