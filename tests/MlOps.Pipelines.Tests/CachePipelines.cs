namespace MlOps.Pipelines.Tests;

/// <summary>
/// A small cached pipeline over real files: Produce reads an input file and scales its numbers; Total sums them;
/// Describe formats the sum; Side is never cached. Targets log "ran:Name" so tests see what ran.
/// </summary>
sealed class Incremental : RecordingPipeline
{
    /// <summary>Changed by tests between runs to see that .Version invalidates.</summary>
    public static string DescribeVersion = "1";

    [Parameter("Input numbers file")] readonly AbsolutePath? Input;
    [Parameter("Factor applied by Produce")] readonly int Scale = 2;
    [Parameter("A parameter no target reads")] public readonly int Unused;
    [Parameter("Prefix used by Describe")] readonly string Prefix = "sum";

    readonly Artifact<string> Numbers = Artifact.Text("numbers");
    readonly Artifact<string> Sum = Artifact.Text("sum");
    readonly Artifact<string> Description = Artifact.Text("description");
    readonly Artifact<AbsolutePath> Folder = Artifact.Directory("folder");

    public Target Produce => _ => _
        .Produces(Numbers)
        .Executes(context =>
        {
            Mark(context);
            var numbers = File.ReadAllText(context.Input(Input!)).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            context.Save(Numbers, string.Join("\n", numbers.Select(n => int.Parse(n, System.Globalization.CultureInfo.InvariantCulture) * Scale)));
        });

    public Target Total => _ => _
        .Consumes(Numbers)
        .Produces(Sum)
        .Executes(context =>
        {
            Mark(context);
            context.Save(Sum, context.Load(Numbers).Split('\n').Sum(n => int.Parse(n, System.Globalization.CultureInfo.InvariantCulture)).ToString(System.Globalization.CultureInfo.InvariantCulture));
        });

    public Target Describe => _ => _
        .Consumes(Sum)
        .Produces(Description, Folder)
        .Version(DescribeVersion)
        .Executes(context =>
        {
            Mark(context);
            if (Prefix == "fail") throw new InvalidOperationException("told to fail");
            var text = $"{Prefix}: {context.Load(Sum)}";
            context.Save(Description, text);
            var folder = context.PathOf(Folder);
            File.WriteAllText(Path.Combine(folder, "a.txt"), text);
            Directory.CreateDirectory(Path.Combine(folder, "sub"));
            File.WriteAllText(Path.Combine(folder, "sub", "b.txt"), text.ToUpperInvariant());
        });

    public Target Side => _ => _.Consumes(Sum).Cached(false).Executes(Mark);

    public Target Inspect => _ => _.Consumes(Folder).Produces(Listing).Executes(context =>
    {
        Mark(context);
        var folder = context.Load(Folder);
        context.Save(Listing, string.Join(",", Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f)).Order(StringComparer.Ordinal)));
    });

    readonly Artifact<string> Listing = Artifact.Text("listing");

    public Target Forgetful => _ => _.Produces(Unsaved).Executes(Mark);

    public Target Sneaky => _ => _.Produces(Other).Executes(context => context.Save(Other, context.Load(Sum)));

    readonly Artifact<string> Unsaved = Artifact.Text("unsaved");
    readonly Artifact<string> Other = Artifact.Text("other");
}

/// <summary>Two independent branches that join, for parallel-versus-sequential comparisons.</summary>
sealed class Diamond : RecordingPipeline
{
    readonly Artifact<string> Left = Artifact.Text("left");
    readonly Artifact<string> Right = Artifact.Text("right");
    readonly Artifact<string> Joined = Artifact.Json<string>("joined");

    public Target MakeLeft => _ => _.Produces(Left).Executes(context =>
    {
        Mark(context);
        context.Save(Left, string.Concat(Enumerable.Range(0, 2000).Select(i => (i * 7 % 13).ToString(System.Globalization.CultureInfo.InvariantCulture))));
    });

    public Target MakeRight => _ => _.Produces(Right).Executes(context =>
    {
        Mark(context);
        context.Save(Right, string.Concat(Enumerable.Range(0, 2000).Select(i => (i * 5 % 11).ToString(System.Globalization.CultureInfo.InvariantCulture))));
    });

    public Target Join => _ => _.Consumes(Left, Right).Produces(Joined).Executes(context =>
    {
        Mark(context);
        context.Save(Joined, context.Load(Left) + "|" + context.Load(Right));
    });
}
