using System.Runtime.CompilerServices;

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
    public static void Group(byte* block, int ib, out GridWords levels, out GridWords negative)
    {
        int high = block[66 + ib];
        byte* q = block + 2 + 4 * ib, signs = block + 34 + 4 * ib;
        levels = new(IqGrids.Iq2S[q[0] | ((high << 8) & 0x300)], IqGrids.Iq2S[q[1] | ((high << 6) & 0x300)],
            IqGrids.Iq2S[q[2] | ((high << 4) & 0x300)], IqGrids.Iq2S[q[3] | ((high << 2) & 0x300)]);
        negative = new(IqGrids.SignMasks[signs[0]], IqGrids.SignMasks[signs[1]], IqGrids.SignMasks[signs[2]], IqGrids.SignMasks[signs[3]]);
    }

    /// <summary>The block's factor of scale · code: d/8.</summary>
    public static float Scale(byte* block) => Fp16.Read(block) * 0.125f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (int First, int Second) GroupScale(byte* block, int ib)
    {
        int s = block[74 + ib];
        return (2 * (s & 15) + 1, 2 * (s >> 4) + 1);
    }
}
