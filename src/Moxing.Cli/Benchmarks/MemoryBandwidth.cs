using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using Moxing.Core.Kernels;

namespace Moxing.Cli.Benchmarks;

/// <summary>Measures memory read bandwidth: every thread of a pool sums its share of a large buffer with vector loads.</summary>
public static unsafe class MemoryBandwidth
{
    private const int ChunkBytes = 1 << 20;

    /// <summary>Read bandwidth in GB/s (10⁹ bytes) for each of <paramref name="repetitions"/> passes over a buffer of <paramref name="bytes"/>.</summary>
    public static Samples Measure(WorkerPool pool, long bytes, int repetitions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, (long)ChunkBytes);
        var chunks = checked((int)(bytes / ChunkBytes));
        var size = (nuint)chunks * ChunkBytes;
        var buffer = (byte*)NativeMemory.AlignedAlloc(size, 64);
        var sums = new float[chunks];
        try
        {
            // Touch every page first, so the passes measure reads and not page faults.
            new Span<float>(buffer, checked((int)(size / sizeof(float) / 2))).Fill(1f);
            new Span<float>(buffer + size / 2, checked((int)(size / sizeof(float) / 2))).Fill(1f);
            fixed (float* s = sums)
            {
                var job = new SumJob { Buffer = buffer, Sums = s };
                pool.ParallelFor(chunks, ref job);
                var rates = new double[repetitions];
                for (var r = 0; r < repetitions; r++)
                {
                    var start = Stopwatch.GetTimestamp();
                    pool.ParallelFor(chunks, ref job);
                    rates[r] = size / Stopwatch.GetElapsedTime(start).TotalSeconds / 1e9;
                }
                // The sums are checked so the reads cannot be optimized away.
                if (s[0] != ChunkBytes / sizeof(float)) throw new InvalidOperationException("the bandwidth buffer did not sum as written");
                return new Samples(rates);
            }
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    private struct SumJob : IParallelJob
    {
        public byte* Buffer;
        public float* Sums;

        public readonly void Execute(int start, int end)
        {
            for (var c = start; c < end; c++)
            {
                var p = (float*)(Buffer + (long)c * ChunkBytes);
                var n = ChunkBytes / sizeof(float);
                var step = Vector<float>.Count;
                Vector<float> a = default, b = default, d = default, e = default;
                for (var i = 0; i < n; i += 4 * step)
                {
                    a += Vector.Load(p + i);
                    b += Vector.Load(p + i + step);
                    d += Vector.Load(p + i + 2 * step);
                    e += Vector.Load(p + i + 3 * step);
                }
                Sums[c] = Vector.Sum(a + b + d + e);
            }
        }
    }
}
