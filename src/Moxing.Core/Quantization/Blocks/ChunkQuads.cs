using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary><see cref="IQ8KDot.Quad"/> and <see cref="IQ8KDot.PairScales"/> for K formats whose chunks or scales share no work worth merging.</summary>
internal static unsafe class ChunkQuads
{
    /// <summary>Chunks 4h .. 4h + 3 of <typeparamref name="F"/>, each from its own <see cref="IQ8KDot.Chunk"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Separate<F, L, TB, TS, TF>(byte* block, int h, out TB c0, out TB c1, out TB c2, out TB c3)
        where F : struct, IQ8KDot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        c0 = F.Chunk<L, TB, TS, TF>(block, 4 * h);
        c1 = F.Chunk<L, TB, TS, TF>(block, 4 * h + 1);
        c2 = F.Chunk<L, TB, TS, TF>(block, 4 * h + 2);
        c3 = F.Chunk<L, TB, TS, TF>(block, 4 * h + 3);
    }

    /// <summary>The scales of super-blocks <paramref name="a"/> and <paramref name="b"/> of <typeparamref name="F"/>, each from its own <see cref="IQ8KDot.Scales"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB SeparateScales<F, L, TB, TS, TF>(byte* a, byte* b, out TB minimumsA, out TB scalesB, out TB minimumsB)
        where F : struct, IQ8KDot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        scalesB = F.Scales<L, TB, TS, TF>(b, out minimumsB);
        return F.Scales<L, TB, TS, TF>(a, out minimumsA);
    }
}
