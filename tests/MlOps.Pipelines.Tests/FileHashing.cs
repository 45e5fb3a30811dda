using System.Security.Cryptography;
using System.Text;
using MlOps.Pipelines.Caching;

namespace MlOps.Pipelines.Tests;

public sealed class FileHashing : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("hashing-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    string Write(string name, string text, DateTime modified)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        File.SetLastWriteTimeUtc(path, modified);
        return path;
    }

    [Fact]
    public void An_unchanged_file_is_not_read_again_in_a_later_run()
    {
        var memo = Path.Combine(_directory, "memo.tsv");
        var file = Write("data.csv", "abc", DateTime.UtcNow.AddMinutes(-5));
        var first = new FileHasher(memo);
        Assert.Equal(Sha256("abc"), first.Hash(file));
        first.Save();

        // Replace the remembered hash: if the next hasher returns it, it did not read the file.
        File.WriteAllText(memo, File.ReadAllText(memo).Replace(Sha256("abc"), "remembered", StringComparison.Ordinal));
        Assert.Equal("remembered", new FileHasher(memo).Hash(file));
    }

    [Fact]
    public void A_changed_file_is_read_again_even_with_the_same_size_and_mtime()
    {
        var memo = Path.Combine(_directory, "memo.tsv");
        var modified = DateTime.UtcNow.AddMinutes(-5);
        var file = Write("data.csv", "abc", modified);
        var hasher = new FileHasher(memo);
        hasher.Hash(file);
        hasher.Save();

        Write("data.csv", "abd", modified); // same size, same mtime: the change time and inode still tell
        Assert.Equal(Sha256("abd"), new FileHasher(memo).Hash(file));
    }

    [Fact]
    public void A_file_modified_just_now_is_not_remembered()
    {
        var memo = Path.Combine(_directory, "memo.tsv");
        var file = Write("fresh.csv", "abc", DateTime.UtcNow);
        var hasher = new FileHasher(memo);
        Assert.Equal(Sha256("abc"), hasher.Hash(file));
        hasher.Save();
        Assert.False(File.Exists(memo) && File.ReadAllText(memo).Contains("fresh.csv", StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_file_has_no_hash()
    {
        Assert.Null(new FileHasher(Path.Combine(_directory, "memo.tsv")).Hash(Path.Combine(_directory, "nope")));
    }

    [Fact]
    public void A_torn_memo_line_is_ignored()
    {
        var memo = Path.Combine(_directory, "memo.tsv");
        File.WriteAllText(memo, "/some/path\t12\n");
        var file = Write("data.csv", "abc", DateTime.UtcNow.AddMinutes(-5));
        Assert.Equal(Sha256("abc"), new FileHasher(memo).Hash(file));
    }
}
