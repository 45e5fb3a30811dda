namespace MlOps.Pipelines.Caching;

/// <summary>
/// An advisory lock on a file, released by the OS when the process ends, however it ends. Exclusive on one
/// pipeline's workspace (<c>.nuke/temp/locks/&lt;Pipeline&gt;.lock</c>), held while its targets run, so two builds of
/// the same pipeline take turns instead of writing the same artefacts at once. On the cache
/// (<see cref="BuildCache.LockPath"/>): shared by builds, which may store and restore side by side, and exclusive for
/// <c>--cache-prune</c>, which must not delete what a running build just stored. Builds take the cache's lock first,
/// then the pipelines' in name order, so two of them never wait for each other in a circle.
/// </summary>
sealed class WorkspaceLock : IDisposable
{
    readonly FileStream _stream;

    WorkspaceLock(FileStream stream) => _stream = stream;

    /// <summary>Waits (polling with back-off) until the lock is ours; <paramref name="waiting"/> hears once that we wait
    /// and for <paramref name="holder"/> (default: "another build that holds &lt;file&gt;"); <paramref name="shared"/>
    /// locks admit each other but not an exclusive one.</summary>
    public static async Task<WorkspaceLock> AcquireAsync(string path, Action<string> waiting, CancellationToken cancellation,
        bool shared = false, string? holder = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var announced = false;
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                // On Unix .NET takes flock(LOCK_SH) for a read-only open that shares, flock(LOCK_EX) for FileShare.None.
                var stream = shared
                    ? new FileStream(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite)
                    : new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                return new WorkspaceLock(stream);
            }
            catch (IOException)
            {
                if (!announced) waiting($"waiting for {holder ?? $"another build that holds {Path.GetFileName(path)}"} ...");
                announced = true;
                // Polling with back-off: the lock has no wait handle across processes.
                await Task.Delay(delay, cancellation);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
