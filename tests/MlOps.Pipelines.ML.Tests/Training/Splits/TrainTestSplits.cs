using MlOps.Pipelines.ML.Training;

namespace MlOps.Pipelines.ML.Tests.Training;

public sealed class TrainTestSplits
{
    [Fact]
    public void The_generator_is_splitmix64_as_published()
    {
        // Reference outputs of SplitMix64 from seed 0 (Vigna's splitmix64.c).
        var random = new SplitMix64(0);
        Assert.Equal(0xE220A8397B1DCDAFUL, random.Next());
        Assert.Equal(0x6E789E6AA1B965F4UL, random.Next());
        Assert.Equal(0x06C45D188009454FUL, random.Next());
    }

    [Fact]
    public void A_random_split_is_pinned_for_a_seed()
    {
        // Worked out with an independent (Python) SplitMix64 and forward Fisher–Yates over rows 0–9, 3 steps.
        var split = Splits.Random(10, 0.3, 42);
        Assert.Equal([2, 4, 7], split.Test);
        Assert.Equal([0, 1, 3, 5, 6, 8, 9], split.Train);
        Assert.Equal([1, 3, 9], Splits.Random(10, 0.3, 7).Test);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    [InlineData(123456789UL)]
    public void A_random_split_agrees_with_a_reimplementation(ulong seed)
    {
        Assert.Equal(ReferenceRandomTest(50, 10, seed), Splits.Random(50, 0.2, seed).Test);
    }

    [Fact]
    public void A_random_split_has_the_asked_size_and_covers_every_row_once()
    {
        var split = Splits.Random(100, 0.25, 3);
        Assert.Equal(25, split.Test.Length);
        Assert.Equal(75, split.Train.Length);
        AssertPartition(split, 100);
        // Halves round away from zero: 0.25 × 10 = 2.5 → 3.
        Assert.Equal(3, Splits.Random(10, 0.25, 3).Test.Length);
    }

    [Fact]
    public void The_same_seed_gives_the_same_split_on_any_thread_and_another_seed_another()
    {
        var first = Splits.Random(1000, 0.2, 11);
        var concurrent = new int[8][];
        Parallel.For(0, concurrent.Length, i => concurrent[i] = Splits.Random(1000, 0.2, 11).Test);
        Assert.All(concurrent, test => Assert.Equal(first.Test, test));
        Assert.NotEqual(first.Test, Splits.Random(1000, 0.2, 12).Test);
    }

    [Fact]
    public void A_stratified_split_is_pinned_for_a_seed()
    {
        // Six of class 0, four of class 1, 30%: 3 test rows; floors 1 (1.8) and 1 (1.2), the extra row to class 0
        // (remainder 0.8). Python reference: class 0 draws 2 of rows 0–5, then class 1 draws 1 of rows 6–9, one generator.
        int[] labels = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1];
        Assert.Equal([1, 4, 7], Splits.Stratified(labels, 0.3, 42).Test);
    }

    [Fact]
    public void A_stratified_split_holds_out_each_class_in_proportion()
    {
        // 1000 rows, 10% positive, 20% held out → exactly 20 positives and 180 negatives in test.
        var labels = Enumerable.Range(0, 1000).Select(i => i % 10 == 3).ToArray();
        var split = Splits.Stratified(labels, 0.2, 5);
        AssertPartition(split, 1000);
        Assert.Equal(200, split.Test.Length);
        Assert.Equal(20, split.Test.Count(r => labels[r]));

        // Classes of 7, 5 and 3 rows at 50%: 8 test rows; floors 3, 2, 1 and the two extra rows to the lowest codes
        // among the equal remainders (0.5 each) → 4, 3, 1.
        int[] classes = [.. Enumerable.Repeat(0, 7), .. Enumerable.Repeat(1, 5), .. Enumerable.Repeat(2, 3)];
        var test = Splits.Stratified(classes, 0.5, 9).Test;
        Assert.Equal([4, 3, 1], Enumerable.Range(0, 3).Select(c => test.Count(r => classes[r] == c)));
    }

    [Fact]
    public void Boolean_labels_stratify_like_their_codes()
    {
        var labels = Enumerable.Range(0, 40).Select(i => i % 3 == 0).ToArray();
        Assert.Equal(Splits.Stratified([.. labels.Select(l => l ? 1 : 0)], 0.25, 4).Test,
            Splits.Stratified(labels, 0.25, 4).Test);
    }

    [Fact]
    public void A_grouped_split_never_puts_a_group_on_both_sides()
    {
        // 500 rows in 20 groups of uneven size (group g holds the rows with hash mod 20 = g).
        var groups = Enumerable.Range(0, 500).Select(i => (int)(((uint)i * 2654435761u) >> 16) % 20).ToArray();
        for (ulong seed = 0; seed < 10; seed++)
        {
            var split = Splits.Grouped(groups, 0.2, seed);
            AssertPartition(split, 500);
            var testGroups = split.Test.Select(r => groups[r]).ToHashSet();
            Assert.DoesNotContain(split.Train, r => testGroups.Contains(groups[r]));
            // As near the target as one group allows.
            var largest = groups.GroupBy(g => g).Max(g => g.Count());
            Assert.InRange(split.Test.Length, 100 - largest, 100 + largest);
        }
        Assert.Equal(Splits.Grouped(groups, 0.2, 1), Splits.Grouped(groups, 0.2, 1), SplitComparer);
        Assert.NotEqual(Splits.Grouped(groups, 0.2, 1).Test, Splits.Grouped(groups, 0.2, 2).Test);
    }

    [Fact]
    public void A_grouped_split_keeps_a_group_on_each_side_and_refuses_one_group()
    {
        // Two groups of 3 and 1 rows at 70% (target 3): either order ends with exactly one group held out.
        for (ulong seed = 0; seed < 8; seed++)
        {
            var split = Splits.Grouped([0, 0, 0, 1], 0.7, seed);
            Assert.NotEmpty(split.Train);
            Assert.NotEmpty(split.Test);
        }
        Assert.Throws<ArgumentException>(() => Splits.Grouped([4, 4, 4], 0.5, 0));
        var e = Assert.Throws<ArgumentException>(() => Splits.Grouped([0, -1, 1], 0.5, 0));
        Assert.Equal("groupCodes", e.ParamName);
    }

    [Fact]
    public void A_time_split_holds_out_the_latest_rows_and_ties_keep_row_order()
    {
        var day = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        DateTime[] times = [day.AddDays(3), day.AddDays(1), day.AddDays(2), day.AddDays(2), day.AddDays(4), day.AddDays(2)];
        // By time, ties by row: 1 (d1), 2, 3, 5 (d2), 0 (d3), 4 (d4). The last three are 5, 0, 4: of the rows tied
        // on d2 the last one (5) is held out.
        var split = Splits.ByTime(times, 0.5);
        Assert.Equal([0, 4, 5], split.Test);
        Assert.Equal([1, 2, 3], split.Train);
        // Every test row is at least as late as every training row.
        var ordered = Splits.ByTime([.. Enumerable.Range(0, 50).Select(i => day.AddHours(i * 7 % 50))], 0.3);
        Assert.Equal(15, ordered.Test.Length);
        Assert.True(ordered.Test.Min(r => r * 7 % 50) > ordered.Train.Max(r => r * 7 % 50));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Fractions_outside_zero_to_one_are_refused_naming_the_parameter(double fraction)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Splits.Random(10, fraction, 0));
        Assert.Equal("testFraction", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Splits.Stratified([0, 1], fraction, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Splits.Grouped([0, 1], fraction, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Splits.ByTime([DateTime.MinValue, DateTime.MaxValue], fraction));
    }

    [Fact]
    public void A_fraction_that_leaves_a_side_empty_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => Splits.Random(3, 0.1, 0));
        Assert.Equal("testFraction", e.ParamName);
        Assert.Contains("no test", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Splits.Random(3, 0.9, 0));
        Assert.Throws<ArgumentException>(() => Splits.Stratified([-1, 0], 0.5, 0));
    }

    static readonly IEqualityComparer<Split> SplitComparer = EqualityComparer<Split>.Create(
        (a, b) => a!.Train.SequenceEqual(b!.Train) && a.Test.SequenceEqual(b.Test), s => s.Test.Length);

    static void AssertPartition(Split split, int rows)
    {
        Assert.True(split.Train.Zip(split.Train.Skip(1)).All(p => p.First < p.Second), "train is ascending");
        Assert.True(split.Test.Zip(split.Test.Skip(1)).All(p => p.First < p.Second), "test is ascending");
        Assert.Empty(split.Train.Intersect(split.Test));
        Assert.Equal(Enumerable.Range(0, rows), split.Train.Concat(split.Test).Order());
    }

    /// <summary>SplitMix64 and a forward Fisher–Yates written out again from the published description.</summary>
    static int[] ReferenceRandomTest(int rows, int testCount, ulong seed)
    {
        var state = seed;
        var order = Enumerable.Range(0, rows).ToArray();
        for (var i = 0; i < testCount; i++)
        {
            state += 0x9E3779B97F4A7C15UL;
            var z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            var j = i + (int)(((UInt128)z * (ulong)(rows - i)) >> 64);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return [.. order.Take(testCount).Order()];
    }
}
