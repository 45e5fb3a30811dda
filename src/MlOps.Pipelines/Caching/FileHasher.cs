using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using static MlOps.Pipelines.Caching.FileSystemNative;

namespace MlOps.Pipelines.Caching;

/// <summary>
/// SHA-256 of files, remembered by (size, mtime, ctime, inode, device) so an unchanged file is never read twice,
/// in this run or the next. A file modified within the last two seconds is not remembered: its timestamp could
/// still be shared with a later write (the "racy git" problem). The cache's own objects are checked without the
/// change time, because every hard link made to restore one changes it.
/// </summary>
sealed class FileHasher
{
    const long RacyWindowNanoseconds = 2_000_000_000;
    readonly string _memoPath;
    readonly Dictionary<string, (FileIdentity Identity, string Hash)> _memo = new(StringComparer.Ordinal);
    readonly Lock _lock = new();
    bool _changed;

    public FileHasher(string memoPath)
    {
        _memoPath = memoPath;
        if (!File.Exists(memoPath)) return;
        foreach (var line in File.ReadLines(memoPath))
        {
            var parts = line.Split('\t');
            if (parts.Length != 7) continue; // a line from an older format or a torn write: forget it
            var identity = new FileIdentity(long.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture),
                long.Parse(parts[3], CultureInfo.InvariantCulture), ulong.Parse(parts[4], CultureInfo.InvariantCulture), ulong.Parse(parts[5], CultureInfo.InvariantCulture));
            _memo[parts[0]] = (identity, parts[6]);
        }
    }

    /// <summary>The file's SHA-256 as lower-case hex, or null when the file does not exist.</summary>
    public string? Hash(string path) => Hash(path, trustChangeTime: true);

    public string? Hash(string path, bool trustChangeTime)
    {
        var identity = Identify(path);
        if (identity is null) return null;
        lock (_lock)
            if (_memo.TryGetValue(path, out var known) &&
                (trustChangeTime ? known.Identity == identity.Value : known.Identity with { ChangedNanoseconds = 0 } == identity.Value with { ChangedNanoseconds = 0 }))
                return known.Hash;

        var hash = HashContent(path);
        var now = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        if (identity.Value.ModifiedNanoseconds < now - RacyWindowNanoseconds && Identify(path) == identity)
            lock (_lock)
            {
                _memo[path] = (identity.Value, hash);
                _changed = true;
            }
        return hash;
    }

    /// <summary>
    /// A folder's hash: the hash of its manifest, one "hash TAB relative/path" line per file in ordinal order (the
    /// same manifest <see cref="ObjectStore"/> stores for a folder artefact); null when the folder does not exist.
    /// </summary>
    public string? HashDirectory(string path) => Directory.Exists(path) ? HashText(Manifest(path, Hash)) : null;

    public static string Manifest(string directory, Func<string, string?> hashFile)
    {
        var manifest = new StringBuilder();
        foreach (var file in Directory.GetFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            manifest.Append(hashFile(file)).Append('\t').Append(Path.GetRelativePath(directory, file).Replace('\\', '/')).Append('\n');
        return manifest.ToString();
    }

    /// <summary>Forgets what is known about <paramref name="path"/> (after the cache found it corrupt).</summary>
    public void Forget(string path)
    {
        lock (_lock) _changed |= _memo.Remove(path);
    }

    public static string HashContent(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        int read;
        while ((read = stream.Read(buffer)) > 0) sha.AppendData(buffer, 0, read);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    public static string HashText(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Writes the memo if it learnt something (atomically; concurrent builds each leave a valid memo).</summary>
    public void Save()
    {
        StringBuilder text;
        lock (_lock)
        {
            if (!_changed) return;
            text = new StringBuilder();
            foreach (var (path, (identity, hash)) in _memo.Where(p => File.Exists(p.Key)).OrderBy(p => p.Key, StringComparer.Ordinal))
                text.Append(CultureInfo.InvariantCulture,
                    $"{path}\t{identity.Size}\t{identity.ModifiedNanoseconds}\t{identity.ChangedNanoseconds}\t{identity.Inode}\t{identity.Device}\t{hash}\n");
            _changed = false;
        }
        AtomicFile.WriteAllText(_memoPath, text.ToString());
    }
}
