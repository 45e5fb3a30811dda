using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using MlOps.Pipelines.ML.Data.Validation;
using MlOps.Pipelines.ML.Features;
using MlOps.Pipelines.ML.Training;

namespace MlOps.Pipelines.ML.Packaging;

/// <summary>
/// A trained model as a self-describing folder: an MLmodel file (MLflow layout, our own flavor, signature, input
/// example), the model, the fitted feature transform, the training-data profile, metrics and lineage, and
/// <c>package.json</c> listing every file's SHA-256 with a package hash over them — the package's identity.
/// Loading verifies every file, so a changed, missing or added file is refused, and gives a <see cref="Predictor"/>
/// that applies the packaged transform before the model: serving cannot compute features differently from training.
/// </summary>
public sealed partial class ModelPackage
{
    internal const string MlModelFile = "MLmodel";
    internal const string ModelFile = "model.bin";
    internal const string TransformFile = "transform.json";
    internal const string ProfileFile = "profile.json";
    internal const string MetricsFile = "metrics.json";
    internal const string LineageFile = "lineage.json";
    internal const string ExampleFile = "input_example.json";
    internal const string ServingExampleFile = "serving_input_example.json";
    internal const string ManifestFile = "package.json";
    internal const string Flavor = "mlops_pipelines";

    const string ManifestFormat = "mlops-model-package";
    const int ManifestVersion = 1;
    const int FlavorVersion = 1;

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NewLine = "\n", // not Environment.NewLine: the same package bytes on every platform
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, // a metric or a profile statistic may be NaN
        Converters = { new JsonStringEnumConverter() },
        // Strict reading: a manifest or lineage with a renamed or missing member is damaged, not defaulted.
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    ModelPackage(string hash, string modelKind, IReadOnlyDictionary<string, double> metrics, PackageLineage lineage, DataProfile? profile,
        ModelSignature signature, Predictor predictor)
    {
        Hash = hash;
        ModelKind = modelKind;
        Metrics = metrics;
        Lineage = lineage;
        Profile = profile;
        Signature = signature;
        Predictor = predictor;
    }

    /// <summary>SHA-256 over the sorted "path⇥sha256" lines of every file: equal hashes, equal packages.</summary>
    public string Hash { get; }

    /// <summary>The model's kind, one of <see cref="ModelKinds"/>.</summary>
    public string ModelKind { get; }

    /// <summary>Evaluation metrics by name.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; }

    /// <summary>Commit, data digest and parameters of the training.</summary>
    public PackageLineage Lineage { get; }

    /// <summary>The training data's profile (the drift reference), or null when the package has none.</summary>
    public DataProfile? Profile { get; }

    /// <summary>The raw input columns and the output shape.</summary>
    public ModelSignature Signature { get; }

    /// <summary>Predicts from raw rows: the packaged transform, then the packaged model.</summary>
    public Predictor Predictor { get; }

    // ------------------------------------------------------------------ writing

    /// <summary>
    /// Writes a package into <paramref name="folder"/>, replacing whatever package was there. The files are written
    /// to a temporary sibling folder, loaded back and checked (the input example must predict the same bits as
    /// <paramref name="model"/>), then renamed into place; a failed write leaves the previous package as it was.
    /// </summary>
    /// <param name="folder">The package folder; its parent is created if needed.</param>
    /// <param name="model">The trained model; it must read exactly the transform's output columns.</param>
    /// <param name="transform">The feature transform fitted on the training data.</param>
    /// <param name="info">Kind, lineage, metrics, profile, input example, and optionally a fixed uuid and time.</param>
    /// <returns>The package hash (<see cref="Hash"/>).</returns>
    public static string Write(string folder, IModel model, FeatureTransform transform, PackageInfo info)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(transform);
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(info.Lineage);
        if (!ModelLoaders.IsKnown(info.ModelKind)) throw new ArgumentException($"Unknown model kind '{info.ModelKind}'.", nameof(info));
        var predictor = new Predictor(model, transform);
        // Scoring the example now refuses one the package could not serve, and gives the bits the written package must reproduce.
        var expected = info.InputExample.Select(predictor.PredictRow).ToList();
        var files = Contents(model, transform, info);

        var target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        var parent = Path.GetDirectoryName(target) ?? throw new ArgumentException("A package cannot be a root folder.", nameof(folder));
        var name = Path.GetFileName(target);
        Directory.CreateDirectory(parent);
        var temporary = Path.Combine(parent, $".{name}.writing-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(temporary);
            foreach (var (path, bytes) in files) WriteDurably(Path.Combine(temporary, path), bytes);
            var written = Load(temporary);
            for (var row = 0; row < expected.Count; row++)
                if (!SameBits(written.Predictor.PredictRow(info.InputExample[row]), expected[row]))
                    throw new InvalidOperationException(
                        $"The saved model does not reproduce the model's predictions (input example row {row}): is '{info.ModelKind}' the right kind?");
            Replace(temporary, target, Path.Combine(parent, $".{name}.replaced-{Guid.NewGuid():N}"));
            return written.Hash;
        }
        finally
        {
            if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
        }
    }

    /// <summary>Every file's bytes by name, package.json included. Only MLmodel holds the uuid and the time.</summary>
    internal static SortedDictionary<string, byte[]> Contents(IModel model, FeatureTransform transform, PackageInfo info)
    {
        var uuid = info.ModelUuid ?? Guid.NewGuid().ToString("N");
        if (!Uuid().IsMatch(uuid)) throw new ArgumentException($"The model uuid '{uuid}' is not 32 lowercase hex digits.", nameof(info));
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);

        using (var stream = new MemoryStream())
        {
            model.Save(stream);
            files[ModelFile] = stream.ToArray();
        }
        using (var stream = new MemoryStream())
        {
            transform.Save(stream);
            files[TransformFile] = stream.ToArray();
        }
        files[MetricsFile] = JsonSerializer.SerializeToUtf8Bytes<IReadOnlyDictionary<string, double>>(Sorted(info.Metrics), Json);
        files[LineageFile] = JsonSerializer.SerializeToUtf8Bytes(info.Lineage with { Parameters = Sorted(info.Lineage.Parameters) }, Json);
        if (info.Profile is not null) files[ProfileFile] = JsonSerializer.SerializeToUtf8Bytes(info.Profile, Json);

        var mlmodel = new Dictionary<string, object?>
        {
            ["artifact_path"] = "model",
            ["flavors"] = new Dictionary<string, object?>
            {
                [Flavor] = new Dictionary<string, object?>
                {
                    ["format_version"] = FlavorVersion,
                    ["loader"] = typeof(ModelPackage).FullName,
                    ["model_file"] = ModelFile,
                    ["model_kind"] = info.ModelKind,
                    ["transform_file"] = TransformFile,
                },
            },
            ["model_uuid"] = uuid,
            ["utc_time_created"] = PythonUtcTime(info.CreatedUtc ?? DateTime.UtcNow),
        };
        var signature = new ModelSignature(model, transform);
        mlmodel["signature"] = new Dictionary<string, object?> { ["inputs"] = signature.InputsJson, ["outputs"] = signature.OutputsJson, ["params"] = null };
        if (info.InputExample.Count > 0)
        {
            // pandas "split" orient: the transform's input columns, then one list of values per row.
            var split = new PythonJson.Obj(
                ("columns", transform.Inputs.Select(i => i.Name)),
                ("data", info.InputExample.Select(row => transform.Inputs.Select(i => row[i.Name]))));
            files[ExampleFile] = Encoding.UTF8.GetBytes(PythonJson.Write(split));
            files[ServingExampleFile] = Encoding.UTF8.GetBytes(PythonJson.Write(new PythonJson.Obj(("dataframe_split", split))));
            mlmodel["saved_input_example_info"] = new Dictionary<string, object?>
            {
                ["artifact_path"] = ExampleFile,
                ["type"] = "dataframe",
                ["pandas_orient"] = "split",
                ["serving_input_path"] = ServingExampleFile,
            };
        }
        files[MlModelFile] = Encoding.UTF8.GetBytes(MlModelYaml.Write(mlmodel));

        var entries = files.Select(f => new ManifestEntry(f.Key, Sha256(f.Value))).ToList();
        files[ManifestFile] = JsonSerializer.SerializeToUtf8Bytes(new Manifest(ManifestFormat, ManifestVersion, entries, PackageHash(entries)), Json);
        return files;
    }

    /// <summary>Python's <c>str(datetime)</c> of a naive UTC time: microseconds, and no fraction when they are zero.</summary>
    internal static string PythonUtcTime(DateTime time)
    {
        var utc = time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : time;
        var microseconds = utc.Ticks / 10 % 1_000_000;
        var text = utc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        return microseconds == 0 ? text : text + "." + microseconds.ToString("000000", CultureInfo.InvariantCulture);
    }

    static SortedDictionary<string, T> Sorted<T>(IReadOnlyDictionary<string, T> values) =>
        new(values.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal), StringComparer.Ordinal);

    static void WriteDurably(string path, byte[] bytes)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        stream.Write(bytes);
        stream.Flush(flushToDisk: true); // on disk before the rename publishes it
    }

    /// <summary>
    /// Renames <paramref name="temporary"/> to <paramref name="target"/>. A folder cannot be renamed over another, so
    /// an existing package is first renamed aside (and back if the second rename fails): the target holds one whole
    /// package, old or new, except for the instant between the two renames.
    /// </summary>
    static void Replace(string temporary, string target, string aside)
    {
        if (File.Exists(target)) throw new IOException($"{target} is a file, not a package folder.");
        if (!Directory.Exists(target))
        {
            Directory.Move(temporary, target);
            return;
        }
        Directory.Move(target, aside);
        try
        {
            Directory.Move(temporary, target);
        }
        catch
        {
            Directory.Move(aside, target);
            throw;
        }
        Directory.Delete(aside, recursive: true);
    }

    static bool SameBits(double[] left, double[] right) =>
        left.Select(BitConverter.DoubleToInt64Bits).SequenceEqual(right.Select(BitConverter.DoubleToInt64Bits));

    // ------------------------------------------------------------------ loading

    /// <summary>
    /// Loads a package after verifying it: every listed file must have its SHA-256, no file may be missing or
    /// added, and the package hash must match the list (and <paramref name="expectedHash"/>, when given).
    /// Throws <see cref="InvalidDataException"/> naming the offending file otherwise.
    /// </summary>
    /// <param name="folder">The package folder.</param>
    /// <param name="expectedHash">The hash the package must have (e.g. from a registry), or null to accept any intact package.</param>
    public static ModelPackage Load(string folder, string? expectedHash = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var root = Path.GetFullPath(folder);
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"There is no model package at {root}.");
        var (files, hash) = ReadVerified(root);
        if (expectedHash is not null && !string.Equals(hash, expectedHash, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"Model package {root}: its hash is {hash}, {expectedHash} was expected.");
        foreach (var required in new[] { MlModelFile, MetricsFile, LineageFile })
            if (!files.ContainsKey(required)) throw Refused(root, required, "is missing");

        var flavor = ReadFlavor(Encoding.UTF8.GetString(files[MlModelFile]));
        string FlavorValue(string key) => flavor.TryGetValue(key, out var value) ? value : throw Refused(root, MlModelFile, $"has no {Flavor}.{key}");
        if (FlavorValue("format_version") != FlavorVersion.ToString(CultureInfo.InvariantCulture))
            throw Refused(root, MlModelFile, $"has {Flavor} format version {flavor["format_version"]}; this library reads {FlavorVersion}");
        var kind = FlavorValue("model_kind");
        byte[] Bytes(string name) => files.TryGetValue(name, out var bytes) ? bytes : throw Refused(root, name, "is missing");

        var modelFile = FlavorValue("model_file");
        var transformFile = FlavorValue("transform_file");
        var modelBytes = Bytes(modelFile);
        var transformBytes = Bytes(transformFile);
        var model = Parse(root, modelFile, () => ModelLoaders.Load(kind, new MemoryStream(modelBytes)));
        var transform = Parse(root, transformFile, () => FeatureTransform.Load(new MemoryStream(transformBytes)));
        var metrics = Parse(root, MetricsFile, () => JsonSerializer.Deserialize<Dictionary<string, double>>(files[MetricsFile], Json));
        var lineage = Parse(root, LineageFile, () => JsonSerializer.Deserialize<PackageLineage>(files[LineageFile], Json));
        var profile = files.TryGetValue(ProfileFile, out var profileBytes) ? Parse(root, ProfileFile, () => JsonSerializer.Deserialize<DataProfile>(profileBytes, Json)) : null;
        Predictor predictor;
        try
        {
            predictor = new Predictor(model, transform);
        }
        catch (ArgumentException e)
        {
            throw Refused(root, modelFile, $"does not fit the transform: {e.Message}");
        }
        return new ModelPackage(hash, kind, metrics, lineage, profile, new ModelSignature(model, transform), predictor);
    }

    /// <summary>Reads every listed file once and checks it against package.json; the returned bytes are the verified ones.</summary>
    static (Dictionary<string, byte[]> Files, string Hash) ReadVerified(string root)
    {
        var manifestPath = Path.Combine(root, ManifestFile);
        if (!File.Exists(manifestPath)) throw Refused(root, ManifestFile, "is missing");
        Manifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<Manifest>(File.ReadAllBytes(manifestPath), Json)
                ?? throw Refused(root, ManifestFile, "is empty");
        }
        catch (JsonException e)
        {
            throw Refused(root, ManifestFile, $"is not a package manifest ({e.Message})");
        }
        if (manifest.Format != ManifestFormat || manifest.Version != ManifestVersion)
            throw Refused(root, ManifestFile, $"is {manifest.Format} version {manifest.Version}, not {ManifestFormat} version {ManifestVersion}");
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in manifest.Files)
            // Plain names only: a listed "../x" must not make the loader read outside the package.
            if (entry.Path is ManifestFile || !PlainFileName().IsMatch(entry.Path) || !listed.Add(entry.Path))
                throw Refused(root, ManifestFile, $"lists '{entry.Path}', which cannot be a package file");

        foreach (var present in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
                     .Select(p => Path.GetRelativePath(root, p).Replace('\\', '/')).Order(StringComparer.Ordinal))
            if (present != ManifestFile && !listed.Contains(present))
                throw Refused(root, present, "is not part of the package (added after it was written)");

        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var entry in manifest.Files)
        {
            var path = Path.Combine(root, entry.Path);
            if (!File.Exists(path)) throw Refused(root, entry.Path, "is missing");
            var bytes = File.ReadAllBytes(path);
            var sha = Sha256(bytes);
            if (!string.Equals(sha, entry.Sha256, StringComparison.Ordinal))
                throw Refused(root, entry.Path, $"has changed (SHA-256 {sha}; the package lists {entry.Sha256})");
            files[entry.Path] = bytes;
        }
        var hash = PackageHash(manifest.Files);
        if (!string.Equals(hash, manifest.Hash, StringComparison.Ordinal))
            throw Refused(root, ManifestFile, $"has changed: its files hash to {hash}, it states {manifest.Hash}");
        return (files, hash);
    }

    /// <summary>
    /// The scalars of our flavor in an MLmodel file: the "key: value" lines under "flavors:" / "  mlops_pipelines:".
    /// Not a YAML parser — it reads the plain scalars this writer puts there, in a file whose hash was just verified.
    /// </summary>
    internal static Dictionary<string, string> ReadFlavor(string mlmodel)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var lines = mlmodel.Split('\n');
        var inFlavors = false;
        var inOurs = false;
        foreach (var line in lines)
        {
            var indent = line.Length - line.TrimStart(' ').Length;
            if (indent == 0) inFlavors = line == "flavors:";
            if (indent <= 2) inOurs = inFlavors && line == $"  {Flavor}:";
            else if (inOurs && indent == 4 && line.IndexOf(": ", StringComparison.Ordinal) is var colon and > 0)
                values[line[4..colon]] = line[(colon + 2)..];
        }
        return values;
    }

    static T Parse<T>(string root, string file, Func<T?> parse)
    {
        T? value;
        try
        {
            value = parse();
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or NotSupportedException)
        {
            throw Refused(root, file, $"cannot be read: {e.Message}");
        }
        return value ?? throw Refused(root, file, "is empty");
    }

    static InvalidDataException Refused(string root, string file, string problem) => new($"Model package {root}: {file} {problem}.");

    static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>SHA-256 over "path⇥sha256\n" for every file, sorted by path: one value that changes with any file.</summary>
    static string PackageHash(IEnumerable<ManifestEntry> entries) =>
        Sha256(Encoding.UTF8.GetBytes(string.Concat(entries.OrderBy(e => e.Path, StringComparer.Ordinal).Select(e => $"{e.Path}\t{e.Sha256}\n"))));

    [GeneratedRegex("^[0-9a-f]{32}$", RegexOptions.CultureInvariant)]
    private static partial Regex Uuid();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex PlainFileName();

    internal sealed record ManifestEntry(string Path, string Sha256);

    internal sealed record Manifest(string Format, int Version, IReadOnlyList<ManifestEntry> Files, string Hash);
}
