using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Json.Serialization;
using MlOps.Pipelines.ML.Data.Tables;

namespace MlOps.Pipelines.ML.Features;

/// <summary>
/// How a categorical becomes numbers. What an encoder learns is keyed by label, and a label it never saw in
/// training (or a missing value) goes to a documented place: the "&lt;other&gt;" column of a one-hot encoding, the
/// code after the last for ordinal encoding, 0 for frequency encoding, its own bucket for hashing.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "encoding")]
[JsonDerivedType(typeof(OneHotNode), "one-hot")]
[JsonDerivedType(typeof(OrdinalNode), "ordinal")]
[JsonDerivedType(typeof(FrequencyNode), "frequency")]
[JsonDerivedType(typeof(HashedNode), "hashed")]
internal abstract record EncodedNode(CategoricalNode Input)
{
    internal const string Other = "<other>";

    internal abstract EncodedNode Fit(FitContext context);
    internal abstract bool IsFitted { get; }
    internal abstract IReadOnlyList<string> OutputNames(string feature);

    /// <summary>Per label of one table, the output slot (one-hot) or value (others) it gets.</summary>
    internal abstract EncodedColumns Prepare(Categories categories);

    internal string Describe() => $"{GetType().Name[..^"Node".Length].ToLowerInvariant()}({Input.Describe()})";

    /// <summary>Training rows per label, most frequent first (ties by label), missing values not counted.</summary>
    private protected static List<(string Label, long Count)> Count(FitContext context, Categories categories)
    {
        var counts = context.CountCodes(categories);
        return [.. counts.Select((count, code) => (categories.Labels[code], count))
            .Where(x => x.count > 0)
            .GroupBy(x => x.Item1, StringComparer.Ordinal) // a table's dictionary may repeat a label after a cross
            .Select(g => (g.Key, g.Sum(x => x.count)))
            .OrderByDescending(x => x.Item2).ThenBy(x => x.Key, StringComparer.Ordinal)];
    }

    /// <summary>Labels in reading order: numerically when all are whole numbers (hours, buckets), else ordinally.</summary>
    private protected static string[] NaturalOrder(IEnumerable<string> labels)
    {
        var list = labels.ToList();
        return list.All(l => long.TryParse(l, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            ? [.. list.OrderBy(l => long.Parse(l, CultureInfo.InvariantCulture))]
            : [.. list.Order(StringComparer.Ordinal)];
    }

    private protected static Dictionary<string, int> IndexOf(string[] categories)
    {
        var index = new Dictionary<string, int>(categories.Length, StringComparer.Ordinal);
        for (var i = 0; i < categories.Length; i++) index[categories[i]] = i;
        return index;
    }

    // Arrays compare by reference in records; a transform compares by content.
    private protected static bool Same<T>(T[]? a, T[]? b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);
}

/// <summary>One 0/1 column per category kept (the most frequent, up to <see cref="MaxCategories"/>), plus one for the rest.</summary>
internal sealed record OneHotNode(CategoricalNode Input, int MaxCategories, string[]? Categories) : EncodedNode(Input)
{
    internal override EncodedNode Fit(FitContext context)
    {
        var input = Input.Fit(context);
        var kept = Count(context, context.Categories(input)).Take(MaxCategories).Select(x => x.Label);
        return this with { Input = input, Categories = NaturalOrder(kept) };
    }

    internal override bool IsFitted => Input.IsFitted && Categories is not null;

    internal override IReadOnlyList<string> OutputNames(string feature) => [.. Categories!.Select(c => $"{feature}={c}"), $"{feature}={Other}"];

    internal override EncodedColumns Prepare(Categories categories)
    {
        var index = IndexOf(Categories!);
        var slots = categories.Labels.Select(l => index.TryGetValue(l, out var slot) ? slot : Categories!.Length).ToArray();
        return EncodedColumns.OneHot(Categories!.Length + 1, slots, missingSlot: Categories.Length);
    }

    public bool Equals(OneHotNode? other) => other is not null && Input.Equals(other.Input) && MaxCategories == other.MaxCategories && Same(Categories, other.Categories);
    public override int GetHashCode() => HashCode.Combine(Input, MaxCategories, Categories?.Length);
}

/// <summary>The category's position among the training categories in natural order; unseen and missing get the count.</summary>
internal sealed record OrdinalNode(CategoricalNode Input, string[]? Categories) : EncodedNode(Input)
{
    internal override EncodedNode Fit(FitContext context)
    {
        var input = Input.Fit(context);
        return this with { Input = input, Categories = NaturalOrder(Count(context, context.Categories(input)).Select(x => x.Label)) };
    }

    internal override bool IsFitted => Input.IsFitted && Categories is not null;
    internal override IReadOnlyList<string> OutputNames(string feature) => [feature];

    internal override EncodedColumns Prepare(Categories categories)
    {
        var index = IndexOf(Categories!);
        var values = categories.Labels.Select(l => index.TryGetValue(l, out var i) ? (float)i : Categories!.Length).ToArray();
        return EncodedColumns.Value(values, missing: Categories!.Length);
    }

    public bool Equals(OrdinalNode? other) => other is not null && Input.Equals(other.Input) && Same(Categories, other.Categories);
    public override int GetHashCode() => HashCode.Combine(Input, Categories?.Length);
}

/// <summary>The share of training rows with the category; 0 for unseen and missing.</summary>
internal sealed record FrequencyNode(CategoricalNode Input, string[]? Categories, double[]? Shares) : EncodedNode(Input)
{
    internal override EncodedNode Fit(FitContext context)
    {
        var input = Input.Fit(context);
        var counts = Count(context, context.Categories(input));
        var ordered = NaturalOrder(counts.Select(x => x.Label));
        var byLabel = counts.ToDictionary(x => x.Label, x => x.Count, StringComparer.Ordinal);
        var rows = (double)context.Table.RowCount;
        return this with { Input = input, Categories = ordered, Shares = [.. ordered.Select(l => byLabel[l] / rows)] };
    }

    internal override bool IsFitted => Input.IsFitted && Categories is not null && Shares is not null;
    internal override IReadOnlyList<string> OutputNames(string feature) => [feature];

    internal override EncodedColumns Prepare(Categories categories)
    {
        var index = IndexOf(Categories!);
        var values = categories.Labels.Select(l => index.TryGetValue(l, out var i) ? (float)Shares![i] : 0f).ToArray();
        return EncodedColumns.Value(values, missing: 0);
    }

    public bool Equals(FrequencyNode? other) => other is not null && Input.Equals(other.Input) && Same(Categories, other.Categories) && Same(Shares, other.Shares);
    public override int GetHashCode() => HashCode.Combine(Input, Categories?.Length);
}

/// <summary>
/// A bucket from a stable hash of the label (32-bit FNV-1a of its UTF-8 bytes, modulo <see cref="Buckets"/>): no
/// vocabulary to learn or store, unseen categories spread like seen ones; missing values get bucket
/// <see cref="Buckets"/>.
/// </summary>
internal sealed record HashedNode(CategoricalNode Input, int Buckets) : EncodedNode(Input)
{
    internal override EncodedNode Fit(FitContext context) => this with { Input = Input.Fit(context) };
    internal override bool IsFitted => Input.IsFitted;
    internal override IReadOnlyList<string> OutputNames(string feature) => [feature];

    internal override EncodedColumns Prepare(Categories categories) =>
        EncodedColumns.Value([.. categories.Labels.Select(l => (float)(Hash(l) % (uint)Buckets))], missing: Buckets);

    internal static uint Hash(string label)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(label)) hash = (hash ^ b) * 16777619u;
        return hash;
    }
}

/// <summary>What an encoder writes for one table: per code, a one-hot slot or a value.</summary>
internal sealed class EncodedColumns
{
    EncodedColumns(int width, int[]? slots, float[]? values, float missing)
    {
        Width = width;
        _slots = slots;
        _values = values;
        _missing = missing;
    }

    readonly int[]? _slots;
    readonly float[]? _values;
    readonly float _missing;

    public int Width { get; }

    public static EncodedColumns OneHot(int width, int[] slots, int missingSlot) => new(width, slots, null, missingSlot);

    public static EncodedColumns Value(float[] values, float missing) => new(1, null, values, missing);

    /// <summary>
    /// Writes rows [start, start + codes.Length) into the output columns, which are <paramref name="stride"/> apart, one
    /// column after the other (each a contiguous run of the matrix), through the scratch buffers (at least one value per
    /// row each), with streaming stores when asked.
    /// </summary>
    public void Write(ReadOnlySpan<int> codes, Span<float> firstColumn, int stride, int start, Span<int> slots, Span<float> buffer, bool streaming)
    {
        var n = codes.Length;
        if (_values is { } values)
        {
            var output = streaming ? buffer[..n] : firstColumn.Slice(start, n);
            for (var i = 0; i < n; i++) output[i] = codes[i] >= 0 ? values[codes[i]] : _missing;
            if (streaming) StreamingStores.Copy(output, firstColumn.Slice(start, n));
            return;
        }
        var rowSlots = slots[..n];
        var slotOf = _slots!;
        var missing = (int)_missing;
        for (var i = 0; i < n; i++) rowSlots[i] = codes[i] >= 0 ? slotOf[codes[i]] : missing;
        for (var c = 0; c < Width; c++) OneHot(rowSlots, c, firstColumn.Slice(c * stride + start, n), streaming);
    }

    /// <summary>
    /// destination ← 1 where the row's slot is <paramref name="slot"/>, else 0: an all-ones compare masked to the bits of
    /// 1f, sixteen rows (one 64-byte line) at a time on 512-bit vectors where the CPU has them, stored straight from the
    /// register with a streaming store when asked.
    /// </summary>
    static unsafe void OneHot(ReadOnlySpan<int> slots, int slot, Span<float> destination, bool streaming)
    {
        ref var source = ref MemoryMarshal.GetReference(slots);
        var i = 0;
        fixed (float* target = destination)
        {
            // Streaming: the values before the first line boundary one by one, so every vector after them fills whole lines.
            for (var head = streaming ? Math.Min(slots.Length, StreamingStores.Head(destination)) : 0; i < head; i++) target[i] = slots[i] == slot ? 1 : 0;
            if (Vector512.IsHardwareAccelerated)
            {
                var (wanted, one) = (Vector512.Create(slot), Vector512.Create(1f).AsInt32());
                for (; i <= slots.Length - 16; i += 16)
                {
                    var row = (Vector512.Equals(Vector512.LoadUnsafe(ref source, (nuint)i), wanted) & one).AsSingle();
                    if (streaming) row.StoreAlignedNonTemporal(target + i);
                    else row.Store(target + i);
                }
            }
            else
            {
                // Sixteen at a time as well, two stores a line: only whole lines are streamed.
                var (wanted, one) = (Vector256.Create(slot), Vector256.Create(1f).AsInt32());
                for (; i <= slots.Length - 16; i += 16)
                {
                    var low = (Vector256.Equals(Vector256.LoadUnsafe(ref source, (nuint)i), wanted) & one).AsSingle();
                    var high = (Vector256.Equals(Vector256.LoadUnsafe(ref source, (nuint)(i + 8)), wanted) & one).AsSingle();
                    if (streaming)
                    {
                        low.StoreAlignedNonTemporal(target + i);
                        high.StoreAlignedNonTemporal(target + i + 8);
                    }
                    else
                    {
                        low.Store(target + i);
                        high.Store(target + i + 8);
                    }
                }
            }
            for (; i < slots.Length; i++) target[i] = slots[i] == slot ? 1 : 0;
        }
    }
}
