using MlOps.Pipelines.ML.Features;

namespace MlOps.Pipelines.ML.Tests.Features;

/// <summary>Every vector kernel against its scalar reference, on random values mixed with the awkward ones.</summary>
public sealed class KernelsAgainstReference
{
    static readonly double[] Edges = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.0, -0.0, -1, 1, -1e-300, 5e-324, double.MaxValue, double.MinValue, 1e15, -2.5];

    public static TheoryData<int> Lengths => [0, 1, 3, 4, 5, 7, 8, 9, 31, 2048, 2051];

    static double[] Values(int length, int seed)
    {
        var random = new Random(seed);
        var values = new double[length];
        for (var i = 0; i < length; i++)
            values[i] = random.Next(4) == 0 ? Edges[random.Next(Edges.Length)] : (random.NextDouble() - 0.3) * Math.Pow(10, random.Next(-3, 6));
        return values;
    }

    static void Same(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.DoubleToInt64Bits(expected[i]) == BitConverter.DoubleToInt64Bits(actual[i]) || (double.IsNaN(expected[i]) && double.IsNaN(actual[i])),
                $"index {i}: expected {expected[i]:R}, got {actual[i]:R}");
    }

    static void Check(int length, Action<FeatureBackend, double[]> kernel)
    {
        var expected = Values(length, length);
        var actual = (double[])expected.Clone();
        kernel(FeatureBackend.Reference, expected);
        kernel(FeatureBackend.Cpu, actual);
        Same(expected, actual);
    }

    [Theory, MemberData(nameof(Lengths))]
    public void Affine(int length) => Check(length, (b, x) => b.Affine(x, 1.5, 1 / 3.0));

    [Theory, MemberData(nameof(Lengths))]
    public void Clip(int length) => Check(length, (b, x) => b.Clip(x, -1, 100));

    [Theory, MemberData(nameof(Lengths))]
    public void Fill_missing(int length) => Check(length, (b, x) => b.FillMissing(x, 42));

    [Theory, MemberData(nameof(Lengths))]
    public void Bucketize(int length) => Check(length, (b, x) => b.Bucketize(x, [double.NegativeInfinity, -1, 0, 0.5, 10, 1e6]));

    [Theory, MemberData(nameof(Lengths))]
    public void Combine_with_a_constant_either_side(int length)
    {
        foreach (var op in Enum.GetValues<BinaryOperator>())
        {
            Check(length, (b, x) => b.Combine(x, 3.25, op, constantFirst: false));
            Check(length, (b, x) => b.Combine(x, -0.0, op, constantFirst: true));
        }
    }

    [Theory, MemberData(nameof(Lengths))]
    public void Combine_two_columns(int length)
    {
        var right = Values(length, length + 1000);
        foreach (var op in Enum.GetValues<BinaryOperator>()) Check(length, (b, x) => b.Combine(x, right, op));
    }

    [Theory, MemberData(nameof(Lengths))]
    public void Narrow_to_float_rounds_as_a_cast(int length)
    {
        var values = Values(length, length);
        var expected = new float[length];
        var actual = new float[length];
        FeatureBackend.Reference.Narrow(values, expected);
        FeatureBackend.Cpu.Narrow(values, actual);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
    }

    /// <summary>The vector logarithm may differ from Math.Log in the last bits; never by more than a few ulps.</summary>
    [Theory, MemberData(nameof(Lengths))]
    public void Log1p_is_within_two_ulps_of_the_reference(int length)
    {
        var expected = Values(length, length);
        var actual = (double[])expected.Clone();
        FeatureBackend.Reference.Log1p(expected);
        FeatureBackend.Cpu.Log1p(actual);
        for (var i = 0; i < length; i++)
        {
            if (double.IsNaN(expected[i]) || double.IsInfinity(expected[i]))
            {
                Assert.Equal(expected[i], actual[i]);
                continue;
            }
            var ulps = Math.Abs(BitConverter.DoubleToInt64Bits(expected[i]) - BitConverter.DoubleToInt64Bits(actual[i]));
            Assert.True(ulps <= 2 || Math.Abs(expected[i] - actual[i]) <= 1e-300, $"index {i}: log1p gave {actual[i]:R}, reference {expected[i]:R}");
        }
    }

    [Fact]
    public void Log1p_of_a_value_does_not_depend_on_its_position_in_the_block()
    {
        var values = Values(2051, 9);
        var batch = (double[])values.Clone();
        FeatureBackend.Cpu.Log1p(batch);
        for (var i = 0; i < values.Length; i += 97)
        {
            var alone = new[] { values[i] };
            FeatureBackend.Cpu.Log1p(alone);
            Same([batch[i]], alone);
        }
    }

    [Fact]
    public void Backends_are_found_by_name()
    {
        Assert.Same(FeatureBackend.Cpu, FeatureBackend.Parse("CPU"));
        Assert.Same(FeatureBackend.Reference, FeatureBackend.Parse("reference"));
        var error = Assert.Throws<ArgumentException>(() => FeatureBackend.Parse("gpu"));
        Assert.Contains("'gpu'", error.Message);
    }
}

/// <summary>The fused chain loop against the same steps applied block by block with the same kernels.</summary>
public sealed class FusedChains
{
    static readonly ChainStep[][] Chains =
    [
        [new(StepKind.FillMissing, 3.5), new(StepKind.Affine, 1.25, 0.5)],
        [new(StepKind.Clip, 0, 100), new(StepKind.Log1p)],
        [new(StepKind.FillMissing, 0), new(StepKind.Log1p), new(StepKind.Bucketize, Edges: [0.5, 1, 2, 4])],
        [new(StepKind.Combine, 2, Operator: BinaryOperator.Divide, ConstantFirst: true), new(StepKind.Combine, 1, Operator: BinaryOperator.Subtract)],
        [],
        // Longer than the 512-bit kernel composes into one loop: its steps are interpreted.
        [new(StepKind.FillMissing, -0.5), new(StepKind.Clip, -1, 50), new(StepKind.Combine, 3, Operator: BinaryOperator.Multiply),
            new(StepKind.Log1p), new(StepKind.Affine, 0.75, 2), new(StepKind.Bucketize, Edges: [-1, 0, 1.5, 3, 8])],
    ];

    public static TheoryData<int, int> Cases()
    {
        var data = new TheoryData<int, int>();
        for (var chain = 0; chain < Chains.Length; chain++)
            foreach (var length in new[] { 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 4099 })
                data.Add(chain, length);
        return data;
    }

    static (MlOps.Pipelines.ML.Data.Tables.Column<double> Column, double[] Values) Column(int chain, int length)
    {
        var random = new Random(chain * 100 + length);
        var values = Enumerable.Range(0, length).Select(_ => random.Next(10) switch
        {
            0 => double.NaN,
            1 => double.PositiveInfinity,
            2 => -1,
            _ => random.NextDouble() * 50 - 5,
        }).ToArray();
        var nulls = Enumerable.Range(0, length).Select(_ => random.Next(13) == 0).ToArray();
        return (new MlOps.Pipelines.ML.Data.Tables.Column<double>("x", values, nulls), values);
    }

    /// <summary>
    /// The 512-bit and 256-bit fused loops, with ordinary and streaming stores, into outputs starting anywhere within a
    /// cache line (so head, whole lines and tail all occur), against the chain applied step by step.
    /// </summary>
    [Theory, MemberData(nameof(Cases))]
    public void A_fused_chain_gives_the_bits_of_the_chain_step_by_step(int chain, int length)
    {
        var (column, _) = Column(chain, length);
        var stepwise = new float[length];
        MlOps.Pipelines.ML.Features.Chains.RunByBlocks(FeatureBackend.Cpu, column, 0, Chains[chain], new double[64], stepwise);
        foreach (var backend in new[] { new CpuBackend(wide: true), new CpuBackend(wide: false) })
            foreach (var streaming in new[] { false, true })
                foreach (var offset in new[] { 0, 1, 5, 15 })
                {
                    // A pinned array keeps the offset's position within a line for the whole call.
                    var output = GC.AllocateArray<float>(length + 32, pinned: true);
                    var destination = output.AsSpan(offset, length);
                    backend.RunChain(column, 0, Chains[chain], new double[64], destination, streaming);
                    Assert.Equal(stepwise.Select(BitConverter.SingleToInt32Bits), destination.ToArray().Select(BitConverter.SingleToInt32Bits));
                    Assert.All(output.AsSpan(0, offset).ToArray(), x => Assert.Equal(0, x));
                    Assert.All(output.AsSpan(offset + length).ToArray(), x => Assert.Equal(0, x));
                }
    }

    [Theory]
    [InlineData(65_536 - 5, 100)] // across a chunk boundary
    [InlineData(3, 1000)]
    public void A_chain_over_part_of_a_column_reads_those_rows(int start, int length)
    {
        var (column, _) = Column(1, 70_000);
        var whole = new float[70_000];
        FeatureBackend.Cpu.RunChain(column, 0, Chains[1], new double[64], whole);
        foreach (var streaming in new[] { false, true })
        {
            var part = new float[length];
            FeatureBackend.Cpu.RunChain(column, start, Chains[1], new double[64], part, streaming);
            Assert.Equal(whole.AsSpan(start, length).ToArray(), part);
        }
    }
}

public sealed class StreamingStoresCopy
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(100)]
    [InlineData(4099)]
    public void Copies_every_value_exactly_wherever_the_destination_starts(int length)
    {
        var random = new Random(length);
        var source = Enumerable.Range(0, length).Select(_ => random.Next(20) == 0 ? float.NaN : (float)(random.NextDouble() * 1e6 - 5e5)).ToArray();
        for (var offset = 0; offset < 16; offset++)
        {
            var output = GC.AllocateArray<float>(length + 32, pinned: true);
            StreamingStores.Copy(source, output.AsSpan(offset, length));
            StreamingStores.Fence();
            Assert.Equal(source.Select(BitConverter.SingleToInt32Bits), output.AsSpan(offset, length).ToArray().Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(new float[offset], output.AsSpan(0, offset).ToArray());
            Assert.Equal(new float[32 - offset], output.AsSpan(offset + length).ToArray());
        }
    }

    [Fact]
    public void The_head_is_the_number_of_values_before_a_line_boundary()
    {
        var output = GC.AllocateArray<float>(64, pinned: true);
        var first = StreamingStores.Head(output);
        Assert.InRange(first, 0, 15);
        for (var offset = 0; offset < 32; offset++)
            Assert.Equal(((first - offset) % 16 + 16) % 16, StreamingStores.Head(output.AsSpan(offset)));
    }
}

public sealed unsafe partial class FreshPagesPopulation
{
    const int Floats = 4 << 20; // 16 MiB

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "mmap")]
    private static partial void* Map(void* address, nuint length, int protection, int flags, int file, nint offset);

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Unmap(void* address, nuint length);

    [Fact]
    public void Maps_the_pages_of_fresh_memory_and_changes_no_value()
    {
        if (!OperatingSystem.IsLinux()) return; // page residency is only asked on Linux
        // Memory straight from the OS (a private anonymous mapping), as a 2.4 GB matrix's is.
        var memory = Map(null, Floats * sizeof(float), 3 /* read, write */, 0x22 /* private, anonymous */, -1, 0);
        Assert.True(memory != (void*)-1);
        try
        {
            var fresh = new Span<float>(memory, Floats);
            // A range across page boundaries (aligned at neither end), then the whole mapping.
            var range = fresh.Slice(1000, 3 << 20);
            Assert.False(FreshPages.IsResident(range));
            FreshPages.Populate(range);
            Assert.True(FreshPages.IsResident(range));
            Assert.False(FreshPages.IsResident(fresh)); // only the pages the range touches
            Assert.True(range.IndexOfAnyExcept(0f) < 0); // fresh memory reads as zeros

            var random = new Random(7);
            for (var i = 0; i < fresh.Length; i++) fresh[i] = (float)random.NextDouble();
            var before = fresh.ToArray();
            FreshPages.Populate(fresh);
            Assert.True(fresh.SequenceEqual(before));
        }
        finally
        {
            Unmap(memory, Floats * sizeof(float));
        }
    }
}
