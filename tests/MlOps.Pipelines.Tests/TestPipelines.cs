namespace MlOps.Pipelines.Tests;

/// <summary>Targets record that they ran by logging "ran:Name", so tests read the order from the output.</summary>
abstract class RecordingPipeline : MlPipeline
{
    protected static void Mark(TargetContext context) => context.Info("ran:" + context.Target);

    public static IReadOnlyList<string> Ran(RunResult result) =>
        [.. result.Out.Split('\n').Where(l => l.StartsWith("ran:", StringComparison.Ordinal)).Select(l => l[4..])];
}

sealed class Chain : RecordingPipeline
{
    public Target Validate => _ => _.Description("Check the data").Executes(Mark);
    public Target Features => _ => _.Description("Compute features").DependsOn(Validate).Executes(Mark);
    public Target Train => _ => _.Description("Fit the model").DependsOn(Features).Executes(Mark);
    public Target Report => _ => _.Description("Write a report").After(Train).Executes(Mark);
    public Target Clean => _ => _.Description("Remove outputs").Before(Validate).Executes(Mark);
    public Target Notify => _ => _.Description("Announce the model").TriggeredBy(Train).Executes(Mark);
    public Target Publish => _ => _.Description("Publish").DependsOn(Train).Triggers(Report).Executes(Mark);
}

sealed class Cyclic : RecordingPipeline
{
    Target First => _ => _.DependsOn(Third).Executes(Mark);
    Target Second => _ => _.DependsOn(First).Executes(Mark);
    Target Third => _ => _.After(Second).Executes(Mark);
}

sealed class Other : RecordingPipeline
{
    public Target Train => _ => _.Description("Another pipeline's Train").Executes(Mark);
    public Target Lint => _ => _.Executes(Mark);
}

enum Backend
{
    Cpu,
    SimdWide,
}

sealed class Parameterised : RecordingPipeline
{
    [Parameter("Boosting rounds")] public readonly int Trees = 200;
    [Parameter("Step size")] public readonly double LearningRate = 0.1;
    [Parameter("Run name")] public readonly string? RunName;
    [Parameter("Use the GPU")] public readonly bool Fast;
    [Parameter("Rows to read")] public readonly long MaxRows = 1_000_000;
    [Parameter("Kernel backend")] public readonly Backend Backend = Backend.Cpu;
    [Parameter("Input data")] public readonly AbsolutePath? Data;
    [Parameter("Columns to drop")] public readonly string[] Drop = [];
    [Parameter("Seeds")] public readonly int[]? Seeds;
    [Parameter("Registry token")][Secret] public readonly string? RegistryToken;
    [Parameter("A property parameter")] public string Mode { get; set; } = "batch";

    public Target Show => _ => _.Executes(context =>
    {
        context.Info($"Trees={Trees}");
        context.Info($"LearningRate={LearningRate.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        context.Info($"RunName={RunName ?? "<null>"}");
        context.Info($"Fast={Fast}");
        context.Info($"MaxRows={MaxRows}");
        context.Info($"Backend={Backend}");
        context.Info($"Data={Data?.ToString() ?? "<null>"}");
        context.Info($"Drop={string.Join(",", Drop)}");
        context.Info($"Seeds={(Seeds is null ? "<null>" : string.Join(",", Seeds))}");
        context.Info($"Mode={Mode}");
        context.Info($"Threads={context.Threads}");
    });

    public Target Deploy => _ => _.Requires(() => RegistryToken).Executes(context =>
    {
        context.Info($"deploying with token {RegistryToken}");
        Console.WriteLine($"console: token={RegistryToken}");
        Console.Write("split: " + RegistryToken![..3]);
        Console.WriteLine(RegistryToken[3..]);
    });

    public Target Leak => _ => _.Executes(() => throw new InvalidOperationException($"bad token {RegistryToken}"));
}

interface ITestComponent
{
    Target Test => _ => _.Description("Tests from a component").Executes(c => c.Info("ran:" + c.Target));
}

interface IPackComponent : ITestComponent
{
    Target Pack => _ => _.Description("Pack after tests").DependsOn(Test).Executes(c => c.Info("ran:" + c.Target));
}

sealed class Componentised : RecordingPipeline, IPackComponent
{
    Target Compile => _ => _.Before(((ITestComponent)this).Test).Executes(Mark);
}
