using System.Text;
using System.Text.Json;

namespace MlOps.Pipelines;

/// <summary>
/// A named output of one target that other targets consume. The engine stores it in the content-addressed
/// cache, restores it when the target's inputs have not changed, and keeps a copy at
/// <c>artifacts/&lt;Pipeline&gt;/&lt;file&gt;</c> for people to look at.
/// </summary>
/// <example>
/// <code>
/// readonly Artifact&lt;Evaluation&gt; Report = Artifact.Json&lt;Evaluation&gt;("evaluation");
///
/// Target Evaluate => _ => _
///     .Consumes(Model)
///     .Produces(Report)
///     .Executes(ctx => ctx.Save(Report, Score(ctx.Load(Model))));
/// </code>
/// </example>
public abstract class Artifact
{
    private protected Artifact(string name, string fileName, bool isDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (fileName.IndexOfAny(['/', '\\']) >= 0 || fileName is "." or "..")
            throw new ArgumentException($"Artifact '{name}': '{fileName}' must be a plain file name.", nameof(fileName));
        Name = name;
        FileName = fileName;
        IsDirectory = isDirectory;
    }

    /// <summary>The artefact's name, as shown in messages, the lock file and the cache.</summary>
    public string Name { get; }

    /// <summary>The file (or folder) name under <c>artifacts/&lt;Pipeline&gt;/</c>.</summary>
    public string FileName { get; }

    /// <summary>True when the artefact is a folder of files rather than one file.</summary>
    public bool IsDirectory { get; }

    public override string ToString() => Name;

    /// <summary>The delegates that write and read the artefact's file: code that shapes it, so part of the key of its producer and consumers.</summary>
    internal abstract IEnumerable<Delegate> Codecs { get; }

    /// <summary>A value stored as indented JSON (System.Text.Json, snake_case names, enums by name).</summary>
    public static Artifact<T> Json<T>(string name) => Create<T>(name, name + ".json",
        (value, stream) => JsonSerializer.Serialize(stream, value, JsonOptions),
        stream => JsonSerializer.Deserialize<T>(stream, JsonOptions) ?? throw new InvalidDataException($"Artifact '{name}' holds JSON null."));

    /// <summary>A UTF-8 text.</summary>
    public static Artifact<string> Text(string name, string extension = "txt") => Create<string>(name, $"{name}.{extension}",
        (value, stream) => stream.Write(Encoding.UTF8.GetBytes(value)),
        stream => new StreamReader(stream, Encoding.UTF8).ReadToEnd());

    /// <summary>A file the target writes itself at <see cref="TargetContext.PathOf"/>; loading gives its path.</summary>
    public static Artifact<AbsolutePath> File(string name, string fileName) => new(name, fileName, isDirectory: false, null, null);

    /// <summary>A folder the target fills itself at <see cref="TargetContext.PathOf"/>; loading gives its path.</summary>
    public static Artifact<AbsolutePath> Directory(string name) => new(name, name, isDirectory: true, null, null);

    /// <summary>An artefact with its own serializer, for types the engine does not know (tables, models).</summary>
    public static Artifact<T> Create<T>(string name, string fileName, Action<T, Stream> write, Func<Stream, T> read) =>
        new(name, fileName, isDirectory: false, write, read);

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };
}

/// <summary>An artefact holding a value of type <typeparamref name="T"/>.</summary>
public sealed class Artifact<T> : Artifact
{
    internal Artifact(string name, string fileName, bool isDirectory, Action<T, Stream>? write, Func<Stream, T>? read)
        : base(name, fileName, isDirectory)
    {
        Write = write;
        Read = read;
    }

    /// <summary>Null for file and folder artefacts, which the target writes itself.</summary>
    internal Action<T, Stream>? Write { get; }

    internal Func<Stream, T>? Read { get; }

    internal override IEnumerable<Delegate> Codecs => new Delegate?[] { Write, Read }.OfType<Delegate>();
}
