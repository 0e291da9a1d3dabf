using System.Runtime.CompilerServices;

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
    public static void Group(byte* block, int ib, out ulong a, out ulong b, out ulong c, out ulong d)
    {
        var q = block + 2 + 8 * ib;
        a = Level(q);
        b = Level(q + 2);
        c = Level(q + 4);
        d = Level(q + 6);
    }

    // Eight signed levels from a 16-bit word: 9-bit grid index, 7-bit sign pattern.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Level(byte* word)
    {
        uint q = Unsafe.ReadUnaligned<ushort>(word);
        return IqGrids.SignedBySeven(IqGrids.Iq2Xs[q & 511], q >> 9);
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
