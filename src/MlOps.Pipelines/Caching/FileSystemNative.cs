using System.Runtime.InteropServices;

namespace MlOps.Pipelines.Caching;

/// <summary>What the cache needs from the OS that .NET does not offer: a file's inode and change time, hard links, and
/// swapping two folders in one step.</summary>
static partial class FileSystemNative
{
    /// <summary>Identity of a file's current content as far as the file system can tell without reading it.</summary>
    public readonly record struct FileIdentity(long Size, long ModifiedNanoseconds, long ChangedNanoseconds, ulong Inode, ulong Device);

    // struct stat of glibc on x86_64 (144 bytes); other layouts fall back to size and mtime from .NET.
    [StructLayout(LayoutKind.Sequential)]
    struct StatX64
    {
        public ulong Device;
        public ulong Inode;
        public ulong LinkCount;
        public uint Mode;
        public uint User;
        public uint Group;
        public int Padding;
        public ulong SpecialDevice;
        public long Size;
        public long BlockSize;
        public long Blocks;
        public long AccessSeconds, AccessNanoseconds;
        public long ModifySeconds, ModifyNanoseconds;
        public long ChangeSeconds, ChangeNanoseconds;
        public long Reserved1, Reserved2, Reserved3;
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Stat(string path, out StatX64 result);

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Link(string existing, string newPath);

    [LibraryImport("libc", EntryPoint = "renameat2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int RenameAt2(int oldDirectory, string oldPath, int newDirectory, string newPath, uint flags);

    const int CurrentDirectory = -100; // AT_FDCWD
    const uint RenameExchange = 2; // RENAME_EXCHANGE (Linux 3.15+, glibc 2.28+)

    static readonly bool UseStat = OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;
    static readonly bool UseLink = OperatingSystem.IsLinux() || OperatingSystem.IsMacOS();

    /// <summary>The file's identity, or null when it does not exist.</summary>
    public static FileIdentity? Identify(string path)
    {
        if (UseStat)
        {
            if (Stat(path, out var stat) != 0) return null;
            if ((stat.Mode & 0xF000) != 0x8000) return null; // not a regular file
            return new FileIdentity(stat.Size, stat.ModifySeconds * 1_000_000_000 + stat.ModifyNanoseconds,
                stat.ChangeSeconds * 1_000_000_000 + stat.ChangeNanoseconds, stat.Inode, stat.Device);
        }
        var info = new FileInfo(path);
        if (!info.Exists) return null;
        var ticks = info.LastWriteTimeUtc.Ticks;
        return new FileIdentity(info.Length, ticks * 100, ticks * 100, 0, 0);
    }

    /// <summary>Makes <paramref name="newPath"/> a hard link to <paramref name="existing"/>, or a copy where links are not possible.</summary>
    public static void LinkOrCopy(string existing, string newPath)
    {
        if (UseLink && Link(existing, newPath) == 0) return;
        File.Copy(existing, newPath, overwrite: true);
    }

    /// <summary>
    /// Puts folder <paramref name="source"/> at <paramref name="destination"/>, replacing what is there, so that a
    /// reader (or a kill) finds the old folder or the new one, never none: on Linux the two are exchanged in one
    /// rename and the old one, now at <paramref name="source"/>, deleted afterwards. Elsewhere the old folder is moved
    /// aside first, which leaves a moment without one.
    /// </summary>
    public static void ReplaceDirectory(string source, string destination)
    {
        if (File.Exists(destination)) File.Delete(destination);
        if (!Directory.Exists(destination))
        {
            Directory.Move(source, destination);
            return;
        }
        if (OperatingSystem.IsLinux() && TryExchange(source, destination))
        {
            Directory.Delete(source, recursive: true);
            return;
        }
        var aside = AtomicFile.TemporaryPath(destination);
        Directory.Move(destination, aside);
        Directory.Move(source, destination);
        Directory.Delete(aside, recursive: true);
    }

    static bool TryExchange(string first, string second)
    {
        try
        {
            return RenameAt2(CurrentDirectory, first, CurrentDirectory, second, RenameExchange) == 0;
        }
        catch (EntryPointNotFoundException)
        {
            return false; // a C library without renameat2: move aside instead
        }
    }
}
