using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Moxing.Core.Kernels;

/// <summary>
/// A fixed set of threads that run parallel loops for the kernels: the calling thread works too, idle workers spin
/// briefly before sleeping (a decode step issues many small loops back to back), and a loop allocates nothing.
/// </summary>
public sealed unsafe class WorkerPool : IDisposable
{
    // Ranges are claimed guided: each takes 1/(2 · threads) of what is left, so the first are large (few claims) and the last
    // small, and no thread waits long at the loop's end for another's last range; none is smaller than 1/(threads · MinParts)
    // of the loop, where claiming one would stop being noise. (Fixed quarters per thread left ~6 % of a 2-thread decode step
    // waiting at loop ends: half a range per loop.)
    private const int MinParts = 32;

    // A wait longer than this yields the core between polls (shorter ones, most of a decode step's, only pause).
    private const int YieldAfterMicroseconds = 20;

    private static readonly object SharedLock = new();
    private static WorkerPool? _shared;
    private static int _sharedThreadCount;

    [ThreadStatic] private static bool _insideLoop;

    private readonly Thread[] _workers;
    private readonly long _spinTicks;
    private readonly long _yieldTicks = Stopwatch.Frequency * YieldAfterMicroseconds / 1_000_000;
    private readonly object _wakeGate = new();
    private readonly object _callerGate = new();
    private readonly object _doneGate = new();

    private long _generation;
    private int _sleepers;
    private int _callerSleeping;
    private volatile bool _disposed;

    private void* _job;
    private delegate*<void*, int, int, void> _invoke;
    private int _count;
    private int _chunk;
    private int _next;
    private int _pending;
    private ExceptionDispatchInfo? _error;

    /// <summary>Starts a pool of <paramref name="threadCount"/> threads in all, the caller included.</summary>
    /// <param name="threadCount">Threads working on each loop (at least 1; the caller is one of them).</param>
    /// <param name="spinMicroseconds">How long an idle worker polls for the next loop before it sleeps.</param>
    public WorkerPool(int threadCount, int spinMicroseconds = 100)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threadCount, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(spinMicroseconds);
        ThreadCount = threadCount;
        _spinTicks = Stopwatch.Frequency * spinMicroseconds / 1_000_000;
        _workers = new Thread[threadCount - 1];
        for (var i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"moxing-worker-{i + 1}" };
            _workers[i].Start();
        }
    }

    /// <summary>Threads that run each loop, the caller included.</summary>
    public int ThreadCount { get; }

    /// <summary>The process-wide pool, created on first use with <see cref="ConfigureShared"/>'s count or one thread per physical core.</summary>
    public static WorkerPool Shared
    {
        get
        {
            var pool = Volatile.Read(ref _shared);
            if (pool != null) return pool;
            lock (SharedLock)
                return _shared ??= new WorkerPool(_sharedThreadCount > 0 ? _sharedThreadCount : CpuTopology.PhysicalCores);
        }
    }

    /// <summary>Sets the thread count of <see cref="Shared"/>; only before its first use (or to the count it already has).</summary>
    public static void ConfigureShared(int threadCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threadCount, 1);
        lock (SharedLock)
        {
            if (_shared != null && _shared.ThreadCount != threadCount)
                throw new InvalidOperationException($"the shared worker pool already runs {_shared.ThreadCount} threads");
            _sharedThreadCount = threadCount;
        }
    }

    /// <summary>
    /// Runs <paramref name="job"/> over [0, <paramref name="count"/>) in contiguous ranges on all threads and returns when
    /// every range is done. The job is used in place (not copied or boxed); an exception from any range is rethrown here.
    /// A loop started from inside a loop runs on the calling thread alone. Pass a local: the job's address is shared with
    /// the workers for the duration of the call.
    /// </summary>
    public void ParallelFor<TJob>(int count, ref TJob job) where TJob : IParallelJob, allows ref struct
    {
        if (count <= 0) return;
        if (_workers.Length == 0 || count == 1 || _insideLoop)
        {
            job.Execute(0, count);
            return;
        }
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_callerGate)
        {
            _job = Unsafe.AsPointer(ref job);
            _invoke = &Invoke<TJob>;
            _count = count;
            _chunk = Math.Max(1, count / (ThreadCount * MinParts));
            _next = 0;
            _error = null;
            _pending = _workers.Length;
            Interlocked.Increment(ref _generation);
            if (Volatile.Read(ref _sleepers) > 0)
                lock (_wakeGate) Monitor.PulseAll(_wakeGate);

            RunRanges();
            if (!SpinUntil(ref _pending)) WaitForWorkers();
            _job = null;
            _error?.Throw();
        }
    }

    // Monitor rather than an event: ManualResetEventSlim allocates its lock object on the first blocking wait.
    private void WaitForWorkers()
    {
        lock (_doneGate)
        {
            Interlocked.Exchange(ref _callerSleeping, 1);
            while (Volatile.Read(ref _pending) != 0) Monitor.Wait(_doneGate);
            _callerSleeping = 0;
        }
    }

    private static void Invoke<TJob>(void* job, int start, int end) where TJob : IParallelJob, allows ref struct =>
        Unsafe.AsRef<TJob>(job).Execute(start, end);

    private void RunRanges()
    {
        _insideLoop = true;
        try
        {
            while (true)
            {
                var start = Volatile.Read(ref _next);
                if (start >= _count) return;
                var end = Math.Min(_count, start + Math.Max(_chunk, (_count - start) / (2 * ThreadCount)));
                if (Interlocked.CompareExchange(ref _next, end, start) != start) continue;
                try
                {
                    _invoke(_job, start, end);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(e), null);
                }
            }
        }
        finally
        {
            _insideLoop = false;
        }
    }

    private void WorkerLoop()
    {
        long seen = 0;
        while (true)
        {
            var generation = Volatile.Read(ref _generation);
            if (generation == seen && !_disposed && !SpinWhileEqual(ref _generation, seen))
            {
                lock (_wakeGate)
                {
                    Interlocked.Increment(ref _sleepers);
                    while (Volatile.Read(ref _generation) == seen && !_disposed) Monitor.Wait(_wakeGate);
                    Interlocked.Decrement(ref _sleepers);
                }
            }
            if (_disposed) return;
            seen = Volatile.Read(ref _generation);
            RunRanges();
            if (Interlocked.Decrement(ref _pending) == 0 && Volatile.Read(ref _callerSleeping) != 0)
                lock (_doneGate) Monitor.PulseAll(_doneGate);
        }
    }

    // Polls for up to the spin time; true when the value changed (or the pool is closing) meanwhile.
    private bool SpinWhileEqual(ref long value, long seen)
    {
        var start = Stopwatch.GetTimestamp();
        while (Volatile.Read(ref value) == seen && !_disposed)
            if (!Pause(start)) return false;
        return true;
    }

    // Polls for up to the spin time; true when the counter reached zero.
    private bool SpinUntil(ref int pending)
    {
        var start = Stopwatch.GetTimestamp();
        while (Volatile.Read(ref pending) != 0)
            if (!Pause(start)) return false;
        return true;
    }

    // One wait between polls: a pause while the wait is short, then a yield, so that a thread waiting for this core (a
    // server's request thread, say) runs now instead of preempting a thread that works; false once the spin time is up.
    private bool Pause(long start)
    {
        var waited = Stopwatch.GetTimestamp() - start;
        if (waited > _spinTicks) return false;
        if (waited > _yieldTicks) Thread.Yield();
        else Thread.SpinWait(8);
        return true;
    }

    /// <summary>Stops the workers (after the loop in progress, if any).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        lock (_callerGate)
        {
            _disposed = true;
            Interlocked.Increment(ref _generation);
            lock (_wakeGate) Monitor.PulseAll(_wakeGate);
        }
        foreach (var worker in _workers) worker.Join();
    }
}
