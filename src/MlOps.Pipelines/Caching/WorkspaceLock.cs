namespace MlOps.Pipelines.Caching;

/// <summary>
/// An exclusive, advisory lock on one pipeline's workspace (<c>.nuke/temp/locks/&lt;Pipeline&gt;.lock</c>), held
/// while its targets run, so two builds of the same pipeline take turns instead of writing the same artefacts
/// at once. The OS releases it when the process ends, however it ends. Builds take locks in name order, so
/// two of them never wait for each other in a circle.
/// </summary>
sealed class WorkspaceLock : IDisposable
{
    readonly FileStream _stream;

    WorkspaceLock(FileStream stream) => _stream = stream;

    public static async Task<WorkspaceLock> AcquireAsync(string path, Action<string> waiting, CancellationToken cancellation)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var announced = false;
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                return new WorkspaceLock(stream);
            }
            catch (IOException)
            {
                if (!announced) waiting($"waiting for another build that holds {Path.GetFileName(path)} ...");
                announced = true;
                // Polling with back-off: the lock has no wait handle across processes.
                await Task.Delay(delay, cancellation);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
