using System.Reflection;
using MlOps.Pipelines.Caching;
using MlOps.Pipelines.Discovery;

namespace MlOps.Pipelines.Tests;

public sealed class CodeFingerprints
{
    static class V1 { public static int Helper() => Work(3); }
    static class V2 { public static int Helper() => Work(4); }
    static class V3 { public static int Helper() => Work(3); }

    static int Work(int x) => x * 2;

    abstract class Shape
    {
        public abstract int Area();
    }

    sealed class Square : Shape
    {
        public override int Area() => 4;
    }

    interface IScorer
    {
        int Score();
    }

    sealed class ConstantScorer : IScorer
    {
        public int Score() => 7;
    }

    sealed class Descending : IComparer<int>
    {
        public int Compare(int x, int y) => y.CompareTo(x);
    }

    sealed class Reporter : IProgress<int>
    {
        public void Report(int value) => Console.WriteLine(value);
    }

    sealed record Row(int Value)
    {
        public int Doubled => Value * 2;
    }

    static class Tables
    {
        public static readonly int[] Edges = [1, 2, 3];
    }

    sealed class Subjects : MlPipeline
    {
        [Parameter("a")] readonly int Alpha = 1;
        [Parameter("b")] readonly int Beta = 2;
        [Parameter("c")] string Gamma { get; set; } = "";

        public Target A => _ => _.Executes(() => Work(1));
        public Target B => _ => _.Executes(() => Work(1));
        public Target C => _ => _.Executes(() => Work(2));
        public Target ReadsAlpha => _ => _.Executes(context => context.Info(Alpha.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        public Target ReadsGammaAsync => _ => _.Executes(async context =>
        {
            await Task.Yield();
            context.Info(Gamma);
        });
        public Target ReadsBetaThroughAMethod => _ => _.Executes(PrintBeta);
        public Target F1 => _ => _.Executes(() => V1.Helper());
        public Target F2 => _ => _.Executes(() => V2.Helper());
        public Target F3 => _ => _.Executes(() => V3.Helper());
        public Target Captures => _ => _.Executes(context =>
        {
            var local = Alpha + 1;
            context.Info(Enumerable.Range(0, 3).Select(i => i + local).Sum().ToString(System.Globalization.CultureInfo.InvariantCulture));
        });

        public Target Virtual => _ => _.Executes(() => Pick().Area());
        public Target ThroughInterface => _ => _.Executes(() => Scorer().Score());
        public Target StaticTable => _ => _.Executes(context => context.Info($"{Tables.Edges[0]}"));
        public Target SortsWithAComparer => _ => _.Executes(() => Array.Sort(new[] { 3, 1, 2 }, new Descending()));
        public Target ReportsProgress => _ => _.Executes(() => Parallel.For(0, 2, new ParallelOptions(), _ => Forward(new Reporter())));
        public Target Serializes => _ => _.Executes(context => context.Info(System.Text.Json.JsonSerializer.Serialize(new Row(1))));
        public Target CallsAPackage => _ => _.Executes(context =>
        {
            Assert.True(Alpha > 0);
            context.Info("checked");
        });
        public Target OwnField => _ => _.Executes(context => context.Info($"{Buckets[1]}"));

        public int[] Buckets = [10, 20, 30];

        static void Forward(IProgress<int> progress) => Task.Run(() => progress.Report(1)).Wait();

        static Shape Pick() => new Square();
        static IScorer Scorer() => new ConstantScorer();

        void PrintBeta(TargetContext context) => context.Info($"{Beta}");
    }

    static IReadOnlyList<string> Walked(string target)
    {
        var model = Model.Targets.Single(t => t.Name == target);
        return [.. CodeFingerprint.Of(model.Definition.Code, new HashSet<MemberInfo>()).Methods.Select(m => $"{m.DeclaringType!.Name}.{m.Name}")];
    }

    [Fact]
    public void Virtual_and_interface_calls_walk_the_implementations_in_the_pipeline_assembly()
    {
        Assert.Contains("Square.Area", Walked("Virtual"));
        Assert.Contains("ConstantScorer.Score", Walked("ThroughInterface"));
    }

    [Fact]
    public void Objects_handed_to_framework_code_are_walked_with_what_it_may_call_back()
    {
        Assert.Contains("Descending.Compare", Walked("SortsWithAComparer"));
        Assert.Contains("Reporter.Report", Walked("ReportsProgress"));
        // A serializer reads every public property, computed ones included.
        Assert.Contains("Row.get_Doubled", Walked("Serializes"));
    }

    [Fact]
    public void Reading_a_static_field_walks_its_static_constructor()
    {
        Assert.Contains("Tables..cctor", Walked("StaticTable"));
    }

    [Fact]
    public void The_values_of_the_pipelines_own_fields_the_code_reads_are_part_of_its_fingerprint()
    {
        var root = AbsolutePath.Create(Path.Combine(Path.GetTempPath(), "mlops-fingerprints-" + Guid.NewGuid().ToString("N")[..12]));
        var original = new Subjects { RootDirectory = root };
        var edited = new Subjects { RootDirectory = root };
        edited.Buckets[1] = 21;
        string CodeOf(Subjects pipeline, string target) =>
            new BuildCache(root).CodeOf(PipelineModel.Discover(pipeline, null, 0).Targets.Single(t => t.Name == target)).Hash;

        Assert.NotEqual(CodeOf(original, "OwnField"), CodeOf(edited, "OwnField"));
        Assert.Equal(CodeOf(original, "A"), CodeOf(edited, "A"));
    }

    static readonly PipelineModel Model = PipelineModel.Discover(new Subjects(), null, 0);

    static (string Hash, IReadOnlySet<string> Parameters) Of(string target)
    {
        var model = Model.Targets.Single(t => t.Name == target);
        var parameters = Model.Parameters.ToDictionary(p => p.Member);
        var walk = CodeFingerprint.Of(model.Definition.Code, new HashSet<MemberInfo>(parameters.Keys));
        return (walk.Hash, walk.ParametersRead.Select(m => m.Name).ToHashSet());
    }

    [Fact]
    public void The_same_code_in_two_lambdas_has_the_same_fingerprint()
    {
        // The compiler names the lambdas differently (b__N_M); those names must not count.
        Assert.Equal(Of("A").Hash, Of("B").Hash);
    }

    [Fact]
    public void A_different_constant_changes_the_fingerprint()
    {
        Assert.NotEqual(Of("A").Hash, Of("C").Hash);
    }

    [Fact]
    public void Called_methods_count_by_their_bodies_transitively()
    {
        Assert.NotEqual(Of("F1").Hash, Of("F2").Hash);
        // V1 and V3 differ only by name; names count (a serializer or a log line may show them), which is safe.
    }

    [Fact]
    public void The_walk_finds_the_parameters_the_code_reads()
    {
        Assert.Equal(["Alpha"], Of("ReadsAlpha").Parameters);
        Assert.Equal(["Beta"], Of("ReadsBetaThroughAMethod").Parameters);
        Assert.Empty(Of("A").Parameters);
    }

    [Fact]
    public void Async_state_machines_and_closures_are_walked()
    {
        Assert.Equal(["Gamma"], Of("ReadsGammaAsync").Parameters);
        Assert.Equal(["Alpha"], Of("Captures").Parameters);
    }

    [Fact]
    public void Project_libraries_are_listed_by_the_code_reached_and_packages_by_their_identity()
    {
        var model = Model.Targets.Single(t => t.Name == "CallsAPackage");
        var libraries = CodeFingerprint.Of(model.Definition.Code, new HashSet<MemberInfo>()).Libraries;
        Assert.StartsWith("code:", libraries["MlOps.Pipelines"]);
        Assert.Equal(typeof(Assert).Module.ModuleVersionId.ToString("N"), libraries[typeof(Assert).Assembly.GetName().Name!]);
        Assert.DoesNotContain(typeof(CodeFingerprints).Assembly.GetName().Name!, libraries.Keys);
        Assert.DoesNotContain("System.Private.CoreLib", libraries.Keys);
    }

    [Fact]
    public void Library_identity_does_not_include_the_git_commit()
    {
        // The SDK would stamp the commit into the informational version, changing every assembly's module id with
        // each commit and so invalidating every cached target; Directory.Build.props turns that off.
        var version = typeof(MlPipeline).Assembly.GetCustomAttribute<System.Reflection.AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.DoesNotContain("+", version);
    }

    [Fact]
    public void The_fingerprint_is_stable_across_calls()
    {
        Assert.Equal(Of("Captures").Hash, Of("Captures").Hash);
        Assert.Matches("^[0-9a-f]{64}$", Of("Captures").Hash);
    }
}
