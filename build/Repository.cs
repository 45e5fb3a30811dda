using MlOps.Pipelines;

namespace Build;

/// <summary>This repository's own targets: its tests and benchmarks.</summary>
sealed partial class Repository : MlPipeline
{
    Target Test => _ => _
        .Description("Run every test project under tests/ and print 'N passed, N failed'")
        .Executes(RunTests);

    Target Benchmark => _ => _
        .Description("Measure start-up and pipeline timings; write docs/benchmarks.md")
        .Executes(RunBenchmarks);
}
