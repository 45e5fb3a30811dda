namespace MlOps.Pipelines;

/// <summary>
/// Base class of a pipeline: <see cref="Target"/> properties are its steps, <see cref="ParameterAttribute"/>
/// members its typed inputs. Targets may also come from interfaces with default members, so target
/// packages can be shared between pipelines.
/// </summary>
/// <example>
/// <code>
/// sealed class FlightDelays : MlPipeline
/// {
///     [Parameter("Boosting rounds")] readonly int Trees = 200;
///
///     Target Train => _ => _
///         .Description("Fit the model")
///         .Executes(ctx => ctx.Info($"training {Trees} trees"));
/// }
/// </code>
/// </example>
public abstract class MlPipeline
{
    AbsolutePath? _rootDirectory;

    /// <summary>The repository root: the folder that holds <c>.nuke/</c>.</summary>
    public AbsolutePath RootDirectory
    {
        get => _rootDirectory ?? throw new InvalidOperationException(
            "RootDirectory is set by the host when the pipeline runs; it cannot be read in a field initializer.");
        internal set => _rootDirectory = value;
    }

    /// <summary>The pipeline's name: its class name.</summary>
    public string Name => GetType().Name;

    /// <summary>Where this pipeline's outputs go: <c>artifacts/&lt;Name&gt;/</c> (git-ignored).</summary>
    public AbsolutePath ArtifactsDirectory => RootDirectory / "artifacts" / Name;
}
