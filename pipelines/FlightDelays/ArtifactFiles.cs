using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlOps.Pipelines.Examples;

/// <summary>
/// Writes and reads the pipeline's output files atomically (temporary file, then rename), so a failed or
/// cancelled target never leaves a half-written one. The cache of the incremental-targets work replaces this.
/// </summary>
static class ArtifactFiles
{
    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void WriteJson<T>(string path, T value) => Write(path, stream => JsonSerializer.Serialize(stream, value, Json));

    public static T ReadJson<T>(string path, string producer) =>
        JsonSerializer.Deserialize<T>(File.ReadAllText(Require(path, producer)), Json)
        ?? throw new InvalidDataException($"{path} is empty.");

    public static void Write(string path, Action<Stream> write)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            using (var stream = File.Create(temporary)) write(stream);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>The path, or a clear error saying which target produces it.</summary>
    public static string Require(string path, string producer) =>
        File.Exists(path) ? path : throw new FileNotFoundException($"{path} does not exist; run the {producer} target first.");
}
