using System.Security.Cryptography;
using System.Text;

namespace MlOps.Pipelines.Tracking;

/// <summary>The identity of a folder's files, for registrations: the same files give the same hash wherever the folder is.</summary>
internal static class FolderContent
{
    /// <summary>
    /// SHA-256 over every file under <paramref name="folder"/> in ordinal order of its '/'-separated relative path:
    /// path, a NUL, its length (8 bytes, little-endian), its bytes. Lengths keep one file's end from passing for the
    /// next one's start.
    /// </summary>
    public static string Sha256(string folder)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => (Path: f, Relative: Path.GetRelativePath(folder, f).Replace('\\', '/')))
            .OrderBy(f => f.Relative, StringComparer.Ordinal);
        Span<byte> length = stackalloc byte[8];
        var buffer = new byte[81920];
        foreach (var (path, relative) in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(relative + "\0"));
            using var stream = File.OpenRead(path);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(length, stream.Length);
            hash.AppendData(length);
            int read;
            while ((read = stream.Read(buffer)) > 0) hash.AppendData(buffer.AsSpan(0, read));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
