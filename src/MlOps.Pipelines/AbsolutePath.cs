namespace MlOps.Pipelines;

/// <summary>
/// A normalised, rooted file-system path. Use it for path parameters: a relative value given on the
/// command line or in the environment resolves against the working directory, one in a parameters file
/// against the repository root.
/// </summary>
/// <example><c>var model = RootDirectory / "artifacts" / "model.json";</c></example>
public sealed class AbsolutePath : IEquatable<AbsolutePath>
{
    readonly string _path;

    AbsolutePath(string path) => _path = path;

    /// <summary>Creates a path; a relative <paramref name="path"/> is resolved against <paramref name="baseDirectory"/>.</summary>
    public static AbsolutePath Create(string path, string? baseDirectory = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.IsPathRooted(path)
            ? Path.GetFullPath(path)
            : Path.GetFullPath(path, baseDirectory ?? Environment.CurrentDirectory);
        return new AbsolutePath(Path.TrimEndingDirectorySeparator(full) is { Length: > 0 } trimmed ? trimmed : full);
    }

    public static AbsolutePath operator /(AbsolutePath left, string right) => Create(Path.Combine(left._path, right));

    public static implicit operator string(AbsolutePath path) => path._path;

    public string Name => Path.GetFileName(_path);

    public AbsolutePath? Parent => Path.GetDirectoryName(_path) is { } parent ? new AbsolutePath(parent) : null;

    public bool Exists => File.Exists(_path) || Directory.Exists(_path);

    /// <summary>This path relative to <paramref name="baseDirectory"/>, with forward slashes.</summary>
    public string RelativeTo(AbsolutePath baseDirectory) =>
        Path.GetRelativePath(baseDirectory._path, _path).Replace('\\', '/');

    public override string ToString() => _path;

    public bool Equals(AbsolutePath? other) => other is not null && string.Equals(_path, other._path, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as AbsolutePath);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_path);
}
