using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// IQ2_S (2.56 bits): 256 weights as 8 groups of 32; fp16 d, 32 low index bytes, 32 sign bytes, per group a byte of
/// four 2-bit index highs (10-bit indices into <see cref="IqGrids.Iq2S"/>), then per group two 4-bit scales s:
/// w = d·(0.5 + s)·0.25 · ±level.
/// </summary>
internal readonly unsafe struct Iq2SBlock : IGridBlock<Iq2SBlock>
{
    public static int BlockSize => 256;
    public static int BlockBytes => 82;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (float First, float Second) DecodeScale(byte* block, int ib)
    {
        var d = Fp16.Read(block);
        int s = block[74 + ib];
        return (d * (0.5f + (s & 15)) * 0.25f, d * (0.5f + (s >> 4)) * 0.25f);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Levels<L, TB, TS, TF>(byte* block, int ib)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        // ten-bit indices: bits 2i, 2i + 1 of high are bits 8, 9 of index i
        var index = IqGrids.Indices(Unsafe.ReadUnaligned<uint>(block + 2 + 4 * ib), block[66 + ib], 0x0300030003000300UL);
        return IqGrids.Entries<L, TB, TS, TF>(IqGrids.Iq2S, index);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Negative<L, TB, TS, TF>(byte* block, int ib)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        IqGrids.ByteSigns<L, TB, TS, TF>(block + 34 + 4 * ib);

    /// <summary>The block's factor of scale · code: d/8.</summary>
    public static float Scale(byte* block) => Fp16.Read(block) * 0.125f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (int First, int Second) GroupScale(byte* block, int ib)
    {
        int s = block[74 + ib];
        return (2 * (s & 15) + 1, 2 * (s >> 4) + 1);
    }
}
