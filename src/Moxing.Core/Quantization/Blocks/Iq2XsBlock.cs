using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// IQ2_XS (2.31 bits): 256 weights as 8 groups of 32; fp16 d, per eight weights a 16-bit word (9-bit index into
/// <see cref="IqGrids.Iq2Xs"/>, 7-bit sign pattern), then per group two 4-bit scales s for its halves:
/// w = d·(0.5 + s)·0.25 · ±level.
/// </summary>
internal readonly unsafe struct Iq2XsBlock : IGridBlock<Iq2XsBlock>
{
    public static int BlockSize => 256;
    public static int BlockBytes => 74;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (float First, float Second) DecodeScale(byte* block, int ib)
    {
        var d = Fp16.Read(block);
        int s = block[66 + ib];
        return (d * (0.5f + (s & 15)) * 0.25f, d * (0.5f + (s >> 4)) * 0.25f);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Levels<L, TB, TS, TF>(byte* block, int ib)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        // four 16-bit words: a 9-bit grid index and a 7-bit sign pattern each
        var q = Unsafe.ReadUnaligned<ulong>(block + 2 + 8 * ib);
        var grid = IqGrids.Iq2Xs;
        return L.Words(grid + (q & 511), grid + ((q >> 16) & 511), grid + ((q >> 32) & 511), grid + ((q >> 48) & 511));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Negative<L, TB, TS, TF>(byte* block, int ib)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var q = Unsafe.ReadUnaligned<ulong>(block + 2 + 8 * ib);
        var masks = IqGrids.SevenSignMasks;
        return L.Words(masks + ((q >> 9) & 127), masks + ((q >> 25) & 127), masks + ((q >> 41) & 127), masks + (q >> 57));
    }

    /// <summary>The block's factor of scale · code: d/8.</summary>
    public static float Scale(byte* block) => Fp16.Read(block) * 0.125f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (int First, int Second) GroupScale(byte* block, int ib)
    {
        int s = block[66 + ib];
        return (2 * (s & 15) + 1, 2 * (s >> 4) + 1);
    }
}
