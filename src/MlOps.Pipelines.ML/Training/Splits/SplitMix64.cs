namespace MlOps.Pipelines.ML.Training;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood, 2014), written out here rather than taken from <see cref="System.Random"/>,
/// whose algorithm is an implementation detail that has changed between .NET versions: a split must be the same
/// for a seed forever, or a retrained model is evaluated on different rows than its predecessor.
/// </summary>
/// <remarks>
/// state += 0x9E3779B97F4A7C15; z = state; z = (z ^ z >> 30) · 0xBF58476D1CE4E5B9; z = (z ^ z >> 27) · 0x94D049BB133111EB;
/// output z ^ z >> 31. A bounded draw in [0, n) is the high 64 bits of output · n (Lemire's multiply-shift,
/// without the rejection step: the bias is below n / 2⁶⁴, far under anything a split could show).
/// </remarks>
internal struct SplitMix64(ulong seed)
{
    ulong _state = seed;

    public ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A draw in [0, <paramref name="bound"/>).</summary>
    public int Next(int bound) => (int)Math.BigMul(Next(), (ulong)bound, out _);

    /// <summary>
    /// Moves a uniformly random choice of <paramref name="count"/> items to the front of <paramref name="items"/>
    /// (the first <paramref name="count"/> steps of a forward Fisher–Yates shuffle: position i swaps with
    /// i + Next(length − i)).
    /// </summary>
    public void ShuffleFront(Span<int> items, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var j = i + Next(items.Length - i);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
