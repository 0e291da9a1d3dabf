namespace Moxing.Core.Kernels;

/// <summary>Work split into index ranges by <see cref="WorkerPool.ParallelFor{TJob}(int, ref TJob)"/>; usually a (ref) struct holding the inputs.</summary>
public interface IParallelJob
{
    /// <summary>Does items [<paramref name="start"/>, <paramref name="end"/>); called concurrently for disjoint ranges.</summary>
    void Execute(int start, int end);
}
