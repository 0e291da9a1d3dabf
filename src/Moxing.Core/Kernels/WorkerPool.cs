using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Moxing.Core.Kernels;

/// <summary>
/// A fixed set of threads that run parallel loops for the kernels: the calling thread works too, idle workers spin
/// briefly before sleeping (a decode step issues many small loops back to back), and a loop allocates nothing.
/// </summary>
public sealed unsafe class WorkerPool : IDisposable
{
    // Each thread starts a loop owning an equal share of it and takes its share in parts of 1/(threads · Parts) of the loop
    // (a claim on its own slot, which no other thread touches meanwhile). A thread whose share is done steals the upper half
    // of what is left of the largest other share, so a thread that is preempted (a server's request thread takes its core)
    // or wakes late holds up the loop's end by one part at most, not by the rest of its share. (Guided claims from one
    // counter left a preempted thread holding up to a quarter of the loop: ~5 % of a 16-stream serving step spent waiting.)
    private const int Parts = 32;

    // Loops long enough for it split in multiples of this many indices, so kernels that take rows in groups of four or
    // eight (one vector load serving them) seldom meet a remainder at a part's end.
    private const int Quantum = 8;

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
    private int _chunk;
    private int _count;
    private int _quantum;
    private readonly Share[] _shares;
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
        _shares = new Share[threadCount];
        _workers = new Thread[threadCount - 1];
        for (var i = 0; i < _workers.Length; i++)
        {
            var self = i + 1;
            _workers[i] = new Thread(() => WorkerLoop(self)) { IsBackground = true, Name = $"moxing-worker-{self}" };
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
            // shares, parts and steals count quanta; the last quantum may be short
            _count = count;
            _quantum = count >= Quantum * ThreadCount * Parts ? Quantum : 1;
            var quanta = (count + _quantum - 1) / _quantum;
            _chunk = Math.Max(1, quanta / (ThreadCount * Parts));
            for (var t = 0; t < ThreadCount; t++)
                _shares[t].Range = Share.Pack((int)((long)quanta * t / ThreadCount), (int)((long)quanta * (t + 1) / ThreadCount));
            _error = null;
            _pending = _workers.Length;
            Interlocked.Increment(ref _generation);
            if (Volatile.Read(ref _sleepers) > 0)
                lock (_wakeGate) Monitor.PulseAll(_wakeGate);

            RunRanges(0);
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

    private void RunRanges(int self)
    {
        _insideLoop = true;
        try
        {
            do
            {
                while (TryClaim(self, out var start, out var end))
                {
                    try
                    {
                        _invoke(_job, start * _quantum, Math.Min(_count, end * _quantum));
                    }
                    catch (Exception e)
                    {
                        Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(e), null);
                    }
                }
            }
            while (TrySteal(self));
        }
        finally
        {
            _insideLoop = false;
        }
    }

    // Takes the next part of this thread's own share; false when the share is empty.
    private bool TryClaim(int self, out int start, out int end)
    {
        ref var range = ref _shares[self].Range;
        while (true)
        {
            var value = Volatile.Read(ref range);
            (start, var last) = Share.Unpack(value);
            if (start >= last)
            {
                end = start;
                return false;
            }
            end = Math.Min(last, start + _chunk);
            if (Interlocked.CompareExchange(ref range, Share.Pack(end, last), value) == value) return true;
        }
    }

    // Moves the upper half of the largest other share into this thread's (empty) share; false when every share is empty.
    private bool TrySteal(int self)
    {
        while (true)
        {
            var victim = -1;
            var most = 0;
            for (var t = 0; t < _shares.Length; t++)
            {
                var (start, end) = Share.Unpack(Volatile.Read(ref _shares[t].Range));
                if (t != self && end - start > most) (victim, most) = (t, end - start);
            }
            if (victim < 0) return false;
            ref var range = ref _shares[victim].Range;
            var value = Volatile.Read(ref range);
            var (from, to) = Share.Unpack(value);
            if (from >= to) continue;
            var middle = from + (to - from) / 2;
            if (Interlocked.CompareExchange(ref range, Share.Pack(from, middle), value) != value) continue;
            // no other thread writes an empty share, so a plain store publishes the stolen half
            Volatile.Write(ref _shares[self].Range, Share.Pack(middle, to));
            return true;
        }
    }

    private void WorkerLoop(int self)
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
            RunRanges(self);
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

    /// <summary>One thread's share of a loop, [start, end) packed in one word so that a claim and a steal are one exchange;
    /// a cache line of its own (two: the processor fetches lines in pairs), so claims on it stay in its thread's cache.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct Share
    {
        [FieldOffset(0)] public long Range;

        public static long Pack(int start, int end) => (uint)start | ((long)end << 32);

        public static (int Start, int End) Unpack(long range) => ((int)range, (int)(range >> 32));
    }
}
