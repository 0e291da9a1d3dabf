using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Moxing.Core.Kernels;

/// <summary>Software prefetch of weight bytes that a kernel will read soon (a no-op where the instruction set has none).</summary>
internal static unsafe class Prefetch
{
    /// <summary>How far ahead of its reads a matrix-vector kernel asks for weights: decoding streams weights from memory, and
    /// the hardware prefetchers stop at every 4 KiB page of a memory-mapped file, so without this each page starts with a stall.
    /// A whole page ahead keeps the next page's lines in flight while this one is read (2 KiB ahead left Llama-3.2-1B
    /// Q4_K_M decoding ~25 % slower on Zen 4).</summary>
    public const int Distance = 4096;

    /// <summary>Asks for the cache lines covering <paramref name="bytes"/> bytes at <paramref name="p"/>, into L2: weights are
    /// read once per product, so they need not displace the activations and accumulators from L1 (prefetching into L1
    /// measured ~25 % slower decoding than into L2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Lines(byte* p, int bytes)
    {
        if (!Sse.IsSupported) return;
        for (var o = 0; o < bytes; o += 64) Sse.Prefetch1(p + o);
    }
}
