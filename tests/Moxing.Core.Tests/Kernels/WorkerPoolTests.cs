using Moxing.Core.Kernels;

namespace Moxing.Core.Tests.Kernels;

public class WorkerPoolTests
{
    private struct CountingJob(int[] hits) : IParallelJob
    {
        public readonly void Execute(int start, int end)
        {
            for (var i = start; i < end; i++) Interlocked.Increment(ref hits[i]);
        }
    }

    private ref struct SpanJob(Span<long> squares) : IParallelJob
    {
        private readonly Span<long> _squares = squares;

        public readonly void Execute(int start, int end)
        {
            for (var i = start; i < end; i++) _squares[i] = (long)i * i;
        }
    }

    private struct ThrowingJob : IParallelJob
    {
        public readonly void Execute(int start, int end)
        {
            if (start == 0) throw new InvalidOperationException("range 0 failed");
        }
    }

    private struct NestedJob(WorkerPool pool, int[] hits) : IParallelJob
    {
        public readonly void Execute(int start, int end)
        {
            var inner = new CountingJob(hits);
            for (var i = start; i < end; i++) pool.ParallelFor(10, ref inner);
        }
    }

    // Records which thread ran each index; the first range a worker runs stalls as a preempted thread would.
    private struct StallingJob(int caller, int[] ranBy, int[] stalls) : IParallelJob
    {
        public readonly void Execute(int start, int end)
        {
            var self = Environment.CurrentManagedThreadId;
            if (self != caller && Interlocked.Exchange(ref stalls[0], 1) == 0) Thread.Sleep(200);
            for (var i = start; i < end; i++)
            {
                // ~20 µs an index, so the worker joins while the caller still has its share to run
                var until = System.Diagnostics.Stopwatch.GetTimestamp() + System.Diagnostics.Stopwatch.Frequency / 50_000;
                while (System.Diagnostics.Stopwatch.GetTimestamp() < until) Thread.SpinWait(10);
                ranBy[i] = self;
            }
        }
    }

    [Fact]
    public void AStalledThreadHoldsUpOnlyThePartItIsRunning()
    {
        using var pool = new WorkerPool(2);
        var caller = Environment.CurrentManagedThreadId;
        var ranBy = new int[64];
        var job = new StallingJob(caller, ranBy, new int[1]);
        pool.ParallelFor(ranBy.Length, ref job);
        Assert.DoesNotContain(0, ranBy);
        // 64 indices on two threads run in parts of one: the caller takes all but the stalled worker's part, its own share and
        // the worker's alike
        Assert.InRange(ranBy.Count(t => t != caller), 0, 1);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 0)]
    [InlineData(3, 100)]
    [InlineData(4, 0)]
    public void EveryIndexRunsExactlyOnce(int threads, int spinMicroseconds)
    {
        using var pool = new WorkerPool(threads, spinMicroseconds);
        foreach (var count in new[] { 0, 1, 2, 3, 7, 64, 1000, 1001, 4099 })
        {
            for (var repeat = 0; repeat < 50; repeat++)
            {
                var hits = new int[count];
                var job = new CountingJob(hits);
                pool.ParallelFor(count, ref job);
                Assert.All(hits, h => Assert.Equal(1, h));
            }
        }
    }

    [Fact]
    public void RefStructJobsWriteThroughSpans()
    {
        using var pool = new WorkerPool(3);
        Span<long> squares = new long[500];
        var job = new SpanJob(squares);
        pool.ParallelFor(squares.Length, ref job);
        for (var i = 0; i < squares.Length; i++) Assert.Equal((long)i * i, squares[i]);
    }

    [Fact]
    public void ExceptionsReachTheCallerAndThePoolKeepsWorking()
    {
        using var pool = new WorkerPool(3);
        var failing = new ThrowingJob();
        var e = Assert.Throws<InvalidOperationException>(() => pool.ParallelFor(100, ref failing));
        Assert.Equal("range 0 failed", e.Message);
        var hits = new int[100];
        var job = new CountingJob(hits);
        pool.ParallelFor(100, ref job);
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void NestedLoopsRunInline()
    {
        using var pool = new WorkerPool(3);
        var hits = new int[10];
        var job = new NestedJob(pool, hits);
        pool.ParallelFor(6, ref job);
        Assert.All(hits, h => Assert.Equal(6, h));
    }

    [Fact]
    public void ManyBackToBackLoopsNeitherLoseWorkNorHang()
    {
        // no spinning: every loop wakes sleeping workers, the path where a lost wake-up would hang
        using var pool = new WorkerPool(3, spinMicroseconds: 0);
        var hits = new int[8];
        var job = new CountingJob(hits);
        for (var i = 0; i < 2000; i++) pool.ParallelFor(hits.Length, ref job);
        Assert.All(hits, h => Assert.Equal(2000, h));
    }

    [Theory]
    [InlineData(100)]
    [InlineData(0)] // no spinning: the caller always blocks until the workers finish
    public void WarmLoopsAllocateNothing(int spinMicroseconds)
    {
        using var pool = new WorkerPool(3, spinMicroseconds);
        var hits = new int[256];
        var job = new CountingJob(hits);
        for (var i = 0; i < 10; i++) pool.ParallelFor(hits.Length, ref job);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++) pool.ParallelFor(hits.Length, ref job);
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void SharedPoolUsesEveryProcessorUnlessConfigured()
    {
        Assert.Equal(Environment.ProcessorCount, WorkerPool.Shared.ThreadCount);
        WorkerPool.ConfigureShared(Environment.ProcessorCount);
        Assert.Throws<InvalidOperationException>(() => WorkerPool.ConfigureShared(Environment.ProcessorCount + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WorkerPool(0));
    }

    [Fact]
    public void DisposedPoolRefusesLoops()
    {
        var pool = new WorkerPool(2);
        pool.Dispose();
        pool.Dispose();
        var hits = new int[4];
        var job = new CountingJob(hits);
        Assert.Throws<ObjectDisposedException>(() => pool.ParallelFor(4, ref job));
    }
}
