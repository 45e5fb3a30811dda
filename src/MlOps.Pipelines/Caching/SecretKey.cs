using System.Security.Cryptography;

namespace MlOps.Pipelines.Caching;

/// <summary>
/// How a secret parameter's value enters a cache key: HMAC-SHA256 under a random key of this cache
/// (<c>.nuke/cache/secret.key</c>, 32 bytes, readable by its owner only). A plain hash of a short or guessable secret
/// could be confirmed by anyone who sees it; the keyed hash cannot without the key, which never leaves the cache.
/// </summary>
sealed class SecretKey(string path)
{
    public const string Prefix = "hmac-sha256:";

    readonly Lazy<byte[]> _key = new(() => LoadOrCreate(path));

    public string Path { get; } = path;

    public string Hash(string secret) =>
        Prefix + Convert.ToHexStringLower(HMACSHA256.HashData(_key.Value, System.Text.Encoding.UTF8.GetBytes(secret)));

    /// <summary>
    /// The key, created once: written in full to a temporary file, then moved into place without overwriting, so
    /// two builds creating it at once agree on the one that landed first and nobody reads a torn key.
    /// </summary>
    static byte[] LoadOrCreate(string path)
    {
        if (TryRead(path) is { } existing) return existing;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var temporary = AtomicFile.TemporaryPath(path);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                stream.Write(RandomNumberGenerator.GetBytes(32));
            }
            // A damaged key (wrong length) is replaced: entries keyed with it just miss.
            File.Move(temporary, path, overwrite: File.Exists(path));
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another build created it first: use that one.
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
        return TryRead(path) ?? throw new InvalidDataException($"{path}: the cache's secret key could not be created.");
    }

    static byte[]? TryRead(string path)
    {
        if (!File.Exists(path)) return null;
        var key = File.ReadAllBytes(path);
        return key.Length == 32 ? key : null;
    }
}
