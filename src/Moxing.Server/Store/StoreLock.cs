using Moxing.Core;

namespace Moxing.Server.Store;

/// <summary>An exclusive lock on the store across threads and processes: an open, unshared lock file (flock on Unix).</summary>
internal sealed class StoreLock : IDisposable
{
    private readonly FileStream _file;

    private StoreLock(FileStream file) => _file = file;

    /// <summary>Waits (polling) until the lock at <paramref name="path"/> is free, up to <paramref name="timeout"/>.</summary>
    public static StoreLock Acquire(string path, TimeSpan timeout, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            try
            {
                return new StoreLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                // Held by another thread or process: commits are short, so poll.
                Thread.Sleep(20);
            }
            catch (IOException e)
            {
                throw new MoxingException($"{path}: the model store is locked by another moxing process for more than {timeout.TotalSeconds:F0} s", e);
            }
        }
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose() => _file.Dispose();
}
