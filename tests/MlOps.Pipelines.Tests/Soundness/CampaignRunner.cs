using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Emit;
using MlOps.Pipelines.Caching;
using MlOps.Pipelines.Discovery;
using MlOps.Pipelines.Hosting;

namespace MlOps.Pipelines.Soundness;

/// <summary>What one edit did to each target: whether its cache key changed, and whether what it produced did.</summary>
/// <param name="Stale">Targets whose key and inputs stayed the same while their output changed: the cache would hand back the old output.</param>
/// <param name="Rerun">Targets whose key changed.</param>
/// <param name="Changed">Targets whose output changed.</param>
sealed record CampaignOutcome(CampaignEdit Edit, bool Compiled, IReadOnlyList<string> Stale, IReadOnlyList<string> Rerun, IReadOnlyList<string> Changed)
{
    /// <summary>Key changes that nothing justifies: edits in code no target runs (or comments) that still changed a key.</summary>
    public bool Needless => Compiled && Edit.Unreachable && Rerun.Count > 0;
}

/// <summary>
/// The soundness campaign: compiles the campaign's library and pipeline with one edit (Roslyn, in memory, with
/// embedded debug information like a real build), computes every target's cache key with the real engine, and
/// finds out independently whether the edit changed what each target produces by running the pipeline with the
/// real host (<c>--no-cache</c>) in a scratch folder and comparing its artefact files with the unedited run's.
/// </summary>
sealed class CampaignRunner : IDisposable
{
    static readonly Lazy<MetadataReference[]> Framework = new(() =>
        [.. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
            .Select(p => MetadataReference.CreateFromFile(p)),
         MetadataReference.CreateFromFile(typeof(MlPipeline).Assembly.Location)]);

    readonly string _scratch;
    readonly byte[] _library;
    readonly byte[] _pipeline;
    readonly Observation _baseline;
    int _runs;

    /// <summary>Each target's key, the hashes of the files it consumes and of those it produces (null: not there).</summary>
    sealed record Observation(Dictionary<string, string> Keys, Dictionary<string, string?[]> Inputs, Dictionary<string, string?[]> Outputs);

    public CampaignRunner(string scratch)
    {
        _scratch = scratch;
        Directory.CreateDirectory(Path.Combine(scratch, "keys", ".nuke"));
        _library = Compile(CampaignSources.LibraryName, CampaignSources.Library, null) ?? throw new InvalidOperationException(Errors);
        _pipeline = Compile(CampaignSources.PipelineName, CampaignSources.Pipeline, _library) ?? throw new InvalidOperationException(Errors);
        _baseline = Observe(_library, _pipeline);
        if (_baseline.Outputs.Values.Any(o => o.Any(h => h is null))) throw new InvalidOperationException("The unedited campaign pipeline did not produce every artefact:\n" + _lastOutput);
    }

    public IReadOnlyCollection<string> Targets => _baseline.Keys.Keys;

    string Errors { get; set; } = "";
    string _lastOutput = "";

    public CampaignOutcome Try(CampaignEdit edit)
    {
        var library = edit.InLibrary ? Compile(CampaignSources.LibraryName, edit.EditedSource, null) : _library;
        var pipeline = library is null ? null : edit.InLibrary ? _pipeline : Compile(CampaignSources.PipelineName, edit.EditedSource, library);
        if (library is null || pipeline is null) return new CampaignOutcome(edit, false, [], [], []);
        var now = Observe(library, pipeline);
        List<string> stale = [], rerun = [], changed = [];
        foreach (var target in _baseline.Keys.Keys.Order(StringComparer.Ordinal))
        {
            var keyChanged = now.Keys[target] != _baseline.Keys[target];
            var inputsSame = now.Inputs[target].SequenceEqual(_baseline.Inputs[target]);
            var outputChanged = !now.Outputs[target].SequenceEqual(_baseline.Outputs[target]);
            if (keyChanged) rerun.Add(target);
            if (outputChanged) changed.Add(target);
            if (!keyChanged && inputsSame && outputChanged) stale.Add(target);
        }
        return new CampaignOutcome(edit, true, stale, rerun, changed);
    }

    byte[]? Compile(string name, string source, byte[]? library)
    {
        var references = library is null ? Framework.Value : [.. Framework.Value, MetadataReference.CreateFromImage(library)];
        var compilation = CSharpCompilation.Create(name, [CSharpSyntaxTree.ParseText(Microsoft.CodeAnalysis.Text.SourceText.From(source, System.Text.Encoding.UTF8), new CSharpParseOptions(LanguageVersion.Latest), path: name + ".cs")],
            references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release,
                deterministic: true, nullableContextOptions: NullableContextOptions.Disable));
        using var image = new MemoryStream();
        var result = compilation.Emit(image, options: new EmitOptions(debugInformationFormat: DebugInformationFormat.Embedded));
        if (!result.Success)
        {
            Errors = string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
            return null;
        }
        return image.ToArray();
    }

    /// <summary>Loads the two assemblies into a context of their own (the engine is shared), keys every target, runs them all.</summary>
    Observation Observe(byte[] library, byte[] pipeline)
    {
        var context = new CampaignLoadContext(library);
        try
        {
            var type = context.LoadFromStream(new MemoryStream(pipeline)).GetType("CampaignPipeline.Campaign", throwOnError: true)!;
            var keysRoot = AbsolutePath.Create(Path.Combine(_scratch, "keys"));
            var instance = (MlPipeline)Activator.CreateInstance(type)!;
            instance.RootDirectory = keysRoot;
            var model = PipelineModel.Discover(instance, null, 0);
            var cache = new BuildCache(keysRoot); // its fingerprint memo lives on across edits, so the campaign checks it too
            var keys = model.Targets.ToDictionary(t => t.Name, t =>
            {
                var code = cache.CodeOf(t);
                return code.Hash + " " + string.Join(",", code.Libraries.Select(l => l.Key + "=" + l.Value)) + " " + string.Join(",", code.Parameters.Select(p => p.MemberName));
            });

            var root = Path.Combine(_scratch, "run-" + _runs++);
            Directory.CreateDirectory(Path.Combine(root, ".nuke"));
            void Run(params string[] targets)
            {
                var host = new PipelineHost();
                typeof(PipelineHost).GetMethod(nameof(PipelineHost.Add))!.MakeGenericMethod(type).Invoke(host, [null]);
                var output = new StringWriter();
                var environment = new HostEnvironment(output, output, new Dictionary<string, string>(StringComparer.Ordinal), root, false, CancellationToken.None);
                host.RunAsync([.. targets, "--no-cache", "--tracking", "false"], environment).GetAwaiter().GetResult();
                _lastOutput = output.ToString();
            }
            Run([.. model.Targets.Where(t => !model.Targets.Any(c => c.Definition.Consumed.Intersect(t.Definition.Produced).Any())).Select(t => t.Name)]);
            // A failed target stops the build, so an independent one may not have run: run it alone to see what it gives.
            foreach (var target in model.Targets.Where(t => t.Definition.Produced.Any(a => Hash(a) is null)))
                Run(target.Name);
            string? Hash(Artifact artifact)
            {
                var path = Path.Combine(root, "artifacts", "Campaign", artifact.FileName);
                return File.Exists(path) ? Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))) : null;
            }
            var inputs = model.Targets.ToDictionary(t => t.Name, t => t.Definition.Consumed.Select(Hash).ToArray());
            var outputs = model.Targets.ToDictionary(t => t.Name, t => t.Definition.Produced.Select(Hash).ToArray());
            Directory.Delete(root, recursive: true);
            return new Observation(keys, inputs, outputs);
        }
        finally
        {
            context.Unload();
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_scratch, recursive: true); }
        catch (IOException) { }
    }

    /// <summary>The edited library under its own name; everything else (the engine, the framework) from the default context.</summary>
    sealed class CampaignLoadContext(byte[] library) : AssemblyLoadContext("campaign", isCollectible: true)
    {
        Assembly? _library;

        protected override Assembly? Load(AssemblyName name) =>
            name.Name == CampaignSources.LibraryName ? _library ??= LoadFromStream(new MemoryStream(library)) : null;
    }
}
