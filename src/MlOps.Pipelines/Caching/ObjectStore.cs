namespace MlOps.Pipelines.Caching;

/// <summary>
/// Content-addressed storage under <c>.nuke/cache/objects/ab/abcdef…</c> (SHA-256). Objects enter by hard link or
/// copy plus an atomic rename, so a killed build leaves at worst a stray temporary file, never a wrong object.
/// A folder is stored as its files plus a manifest object listing them.
/// </summary>
sealed class ObjectStore(string directory, FileHasher hasher)
{
    public string Directory { get; } = directory;

    string PathOf(string hash) => Path.Combine(Directory, hash[..2], hash);

    /// <summary>Stores a file or folder; returns its hash (for a folder, its manifest's).</summary>
    public string Put(string path, bool isDirectory)
    {
        if (!isDirectory) return PutFile(path);
        var manifest = FileHasher.Manifest(path, PutFile);
        var manifestPath = AtomicFile.TemporaryPath(Path.Combine(Directory, "manifest"));
        System.IO.Directory.CreateDirectory(Directory);
        File.WriteAllText(manifestPath, manifest);
        try
        {
            return PutFile(manifestPath);
        }
        finally
        {
            File.Delete(manifestPath);
        }
    }

    string PutFile(string path)
    {
        var hash = hasher.Hash(path) ?? throw new FileNotFoundException($"{path} vanished while it was being stored in the cache.");
        var target = PathOf(hash);
        if (hasher.Hash(target, trustChangeTime: false) == hash) return hash;
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var temporary = AtomicFile.TemporaryPath(target);
        FileSystemNative.LinkOrCopy(path, temporary);
        File.Move(temporary, target, overwrite: true);
        return hash;
    }

    /// <summary>
    /// Puts the object <paramref name="hash"/> at <paramref name="destination"/> (replacing what is there) after
    /// checking that it still has that hash. A damaged object is deleted and false returned.
    /// </summary>
    public bool TryRestore(string hash, string destination, bool isDirectory)
    {
        if (!Verify(hash)) return false;
        if (!isDirectory)
        {
            if (hasher.Hash(destination, trustChangeTime: false) == hash) return true;
            AtomicFile.Write(destination, temporary => FileSystemNative.LinkOrCopy(PathOf(hash), temporary));
            return true;
        }

        var entries = ReadManifest(hash);
        if (entries.Any(e => !Verify(e.Hash))) return false;
        var staging = AtomicFile.TemporaryPath(destination);
        foreach (var (fileHash, relative) in entries)
        {
            var target = Path.Combine(staging, relative);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            FileSystemNative.LinkOrCopy(PathOf(fileHash), target);
        }
        System.IO.Directory.CreateDirectory(staging);
        FileSystemNative.ReplaceDirectory(staging, destination);
        return true;
    }

    /// <summary>The object exists and its content still has its name; otherwise it is removed.</summary>
    bool Verify(string hash)
    {
        var path = PathOf(hash);
        if (hasher.Hash(path, trustChangeTime: false) == hash) return true;
        hasher.Forget(path);
        if (File.Exists(path)) File.Delete(path);
        return false;
    }

    public IReadOnlyList<(string Hash, string Path)> ReadManifest(string hash) =>
        [.. File.ReadAllLines(PathOf(hash)).Where(l => l.Length > 0).Select(l => l.Split('\t', 2)).Select(p => (p[0], p[1]))];

    /// <summary>Every object hash this entry needs (a folder's manifest and its files).</summary>
    public IEnumerable<string> Closure(string hash, bool isDirectory) =>
        isDirectory && File.Exists(PathOf(hash)) ? [hash, .. ReadManifest(hash).Select(e => e.Hash)] : [hash];

    public IEnumerable<(string Hash, long Size)> All() =>
        System.IO.Directory.Exists(Directory)
            ? System.IO.Directory.GetFiles(Directory, "*", SearchOption.AllDirectories)
                .Where(f => !f.EndsWith(".tmp", StringComparison.Ordinal))
                .Select(f => (Path.GetFileName(f), new FileInfo(f).Length))
            : [];

    public void Delete(string hash)
    {
        var path = PathOf(hash);
        hasher.Forget(path);
        File.Delete(path);
    }
}
