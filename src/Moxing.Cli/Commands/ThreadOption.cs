using Moxing.Core.Kernels;

namespace Moxing.Cli.Commands;

/// <summary>The `-t N` option of commands that run the engine: the size of the process-wide worker pool.</summary>
public static class ThreadOption
{
    /// <summary>Sizes <see cref="WorkerPool.Shared"/> to <paramref name="threads"/> (0: one per core) and returns it.</summary>
    public static WorkerPool SharedPool(int threads)
    {
        if (threads < 0) throw new UsageException("-t must be positive");
        if (threads == 0) return WorkerPool.Shared;
        try
        {
            WorkerPool.ConfigureShared(threads);
        }
        catch (InvalidOperationException e)
        {
            throw new UsageException($"-t {threads}: {e.Message}");
        }
        return WorkerPool.Shared;
    }
}
