namespace MlOps.Pipelines.ML.Training;

/// <summary>A train/test split: row numbers on each side, ascending, together covering every row once.</summary>
/// <param name="Train">Rows to train on.</param>
/// <param name="Test">Rows held out.</param>
public sealed record Split(int[] Train, int[] Test);

/// <summary>
/// Train/test splits of row numbers. Seeded splits use <see cref="SplitMix64"/> on one thread, so a seed gives the
/// same split on every machine, thread count and .NET version.
/// </summary>
/// <remarks>
/// The test side gets round(testFraction × rows) rows (halves away from zero), exactly for <see cref="Random"/>
/// and <see cref="ByTime"/>, as near as the classes or groups allow for the others. A fraction that would leave
/// either side empty is refused.
/// </remarks>
public static class Splits
{
    /// <summary>A uniformly random choice of test rows.</summary>
    /// <param name="rows">How many rows there are.</param>
    /// <param name="testFraction">Share of the rows held out, in (0, 1).</param>
    /// <param name="seed">Seed of the choice.</param>
    public static Split Random(int rows, double testFraction, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        var testCount = TestCount(rows, testFraction);
        var order = Identity(rows);
        var random = new SplitMix64(seed);
        random.ShuffleFront(order, testCount);
        return Build(rows, order.AsSpan(0, testCount));
    }

    /// <summary>
    /// A random split that holds out the same share of each class, so a rare class is not missing from one side by
    /// chance. Each class contributes ⌊testFraction × its rows⌋ test rows, and the rows still needed to reach the
    /// total go one each to the classes with the largest fractional remainder (ties to the lower class code).
    /// </summary>
    /// <param name="labels">Class code per row (non-negative).</param>
    /// <param name="testFraction">Share of the rows held out, in (0, 1).</param>
    /// <param name="seed">Seed of the choice.</param>
    public static Split Stratified(ReadOnlySpan<int> labels, double testFraction, ulong seed)
    {
        var testCount = TestCount(labels.Length, testFraction);
        var classes = GroupRows(labels, nameof(labels));
        var quotas = new int[classes.Count];
        var sum = 0;
        for (var c = 0; c < classes.Count; c++)
        {
            quotas[c] = (int)Math.Floor(testFraction * classes[c].Rows.Length);
            sum += quotas[c];
        }
        // Largest remainder: the class that lost most to the floor gets the next row. Stable sort keeps ties by code.
        var byRemainder = Enumerable.Range(0, classes.Count)
            .OrderByDescending(c => testFraction * classes[c].Rows.Length - quotas[c])
            .ToArray();
        var extra = Math.Clamp(testCount - sum, 0, classes.Count);
        for (var k = 0; k < extra; k++) quotas[byRemainder[k]]++;

        var random = new SplitMix64(seed);
        var test = new List<int>(testCount);
        for (var c = 0; c < classes.Count; c++)
        {
            var rows = classes[c].Rows;
            random.ShuffleFront(rows, quotas[c]);
            test.AddRange(rows.AsSpan(0, quotas[c]));
        }
        return Build(labels.Length, [.. test]);
    }

    /// <inheritdoc cref="Stratified(ReadOnlySpan{int}, double, ulong)"/>
    public static Split Stratified(ReadOnlySpan<bool> labels, double testFraction, ulong seed)
    {
        var codes = new int[labels.Length];
        for (var i = 0; i < codes.Length; i++) codes[i] = labels[i] ? 1 : 0;
        return Stratified(codes, testFraction, seed);
    }

    /// <summary>
    /// A random split by whole groups (e.g. per aircraft or per day), so no group has rows on both sides and the
    /// test score is not flattered by near-duplicates seen in training. Groups are shuffled, then taken into the test
    /// side in that order whenever one brings the test row count closer to the target; at least one group stays on
    /// each side.
    /// </summary>
    /// <param name="groupCodes">Group code per row (non-negative; give missing values a group of their own).</param>
    /// <param name="testFraction">Share of the rows held out, in (0, 1): met as closely as the group sizes allow.</param>
    /// <param name="seed">Seed of the choice.</param>
    public static Split Grouped(ReadOnlySpan<int> groupCodes, double testFraction, ulong seed)
    {
        var target = TestCount(groupCodes.Length, testFraction);
        var groups = GroupRows(groupCodes, nameof(groupCodes));
        if (groups.Count < 2)
            throw new ArgumentException("groupCodes has a single group, which cannot be split without splitting the group.", nameof(groupCodes));
        var order = Identity(groups.Count);
        new SplitMix64(seed).ShuffleFront(order, order.Length);

        var taken = new List<int>();
        var testRows = 0;
        foreach (var g in order)
        {
            var size = groups[g].Rows.Length;
            var closer = Math.Abs(testRows + size - target) < Math.Abs(testRows - target);
            if (closer && testRows + size < groupCodes.Length)
            {
                taken.Add(g);
                testRows += size;
            }
        }
        // Every group overshot the target by more than it fell short: hold out the first, rather than nothing.
        if (taken.Count == 0) taken.Add(order[0]);
        var test = new List<int>(testRows);
        foreach (var g in taken) test.AddRange(groups[g].Rows);
        return Build(groupCodes.Length, [.. test]);
    }

    /// <summary>
    /// Holds out the latest rows, as production will meet them: the rows sorted by time (ties keeping row order),
    /// the last round(testFraction × rows) to test. Rows with the same timestamp may fall on both sides.
    /// </summary>
    /// <param name="timestamps">Time per row; compared by ticks, whatever the <see cref="DateTime.Kind"/>.</param>
    /// <param name="testFraction">Share of the rows held out, in (0, 1).</param>
    public static Split ByTime(ReadOnlySpan<DateTime> timestamps, double testFraction)
    {
        var testCount = TestCount(timestamps.Length, testFraction);
        var ticks = new long[timestamps.Length];
        for (var i = 0; i < ticks.Length; i++) ticks[i] = timestamps[i].Ticks;
        var order = Identity(ticks.Length);
        // Array.Sort is not stable; the row number as second key makes it so.
        Array.Sort(order, (a, b) => ticks[a] != ticks[b] ? ticks[a].CompareTo(ticks[b]) : a.CompareTo(b));
        return Build(ticks.Length, order.AsSpan(ticks.Length - testCount));
    }

    static int TestCount(int rows, double testFraction)
    {
        if (!(testFraction > 0 && testFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "testFraction must lie strictly between 0 and 1.");
        var count = (int)Math.Round(testFraction * rows, MidpointRounding.AwayFromZero);
        if (count == 0 || count == rows)
            throw new ArgumentException($"testFraction {testFraction} of {rows} rows leaves {(count == 0 ? "no test" : "no training")} rows.", nameof(testFraction));
        return count;
    }

    /// <summary>The distinct codes, ascending, each with its rows ascending.</summary>
    static List<(int Code, int[] Rows)> GroupRows(ReadOnlySpan<int> codes, string name)
    {
        var rows = new SortedDictionary<int, List<int>>();
        for (var i = 0; i < codes.Length; i++)
        {
            if (codes[i] < 0)
                throw new ArgumentException($"{name}[{i}] is {codes[i]}; codes must be non-negative (give missing values a code of their own).", name);
            if (!rows.TryGetValue(codes[i], out var list)) rows[codes[i]] = list = [];
            list.Add(i);
        }
        return [.. rows.Select(kv => (kv.Key, kv.Value.ToArray()))];
    }

    static int[] Identity(int count)
    {
        var items = new int[count];
        for (var i = 0; i < count; i++) items[i] = i;
        return items;
    }

    static Split Build(int rows, ReadOnlySpan<int> testRows)
    {
        var isTest = new bool[rows];
        foreach (var row in testRows) isTest[row] = true;
        var train = new int[rows - testRows.Length];
        var test = new int[testRows.Length];
        int trainAt = 0, testAt = 0;
        for (var row = 0; row < rows; row++)
            if (isTest[row]) test[testAt++] = row;
            else train[trainAt++] = row;
        return new Split(train, test);
    }
}
