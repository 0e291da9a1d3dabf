using System.Runtime.CompilerServices;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// IQ3_S (3.44 bits): 256 weights as 8 groups of 32; fp16 d, 64 low index bytes, per group a byte of eight index high
/// bits (9-bit indices into <see cref="IqGrids.Iq3S"/>), 32 sign bytes, a 4-bit scale s per group: w = d·(1 + 2s) · ±level.
/// </summary>
internal readonly unsafe struct Iq3SBlock : IGridBlock<Iq3SBlock>
{
    public static int BlockSize => 256;
    public static int BlockBytes => 110;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (float First, float Second) DecodeScale(byte* block, int ib)
    {
        var s = Fp16.Read(block) * (1 + 2 * ((block[106 + ib / 2] >> (4 * (ib & 1))) & 15));
        return (s, s);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Group(byte* block, int ib, out GridWords levels, out GridWords negative)
    {
        var q = block + 2 + 8 * ib;
        int high = block[66 + ib];
        var signs = block + 74 + 4 * ib;
        levels = new(IqGrids.Iq3S[q[0] | ((high << 8) & 256)] | IqGrids.Iq3S[q[1] | ((high << 7) & 256)] << 32,
            IqGrids.Iq3S[q[2] | ((high << 6) & 256)] | IqGrids.Iq3S[q[3] | ((high << 5) & 256)] << 32,
            IqGrids.Iq3S[q[4] | ((high << 4) & 256)] | IqGrids.Iq3S[q[5] | ((high << 3) & 256)] << 32,
            IqGrids.Iq3S[q[6] | ((high << 2) & 256)] | IqGrids.Iq3S[q[7] | ((high << 1) & 256)] << 32);
        negative = new(IqGrids.SignMasks[signs[0]], IqGrids.SignMasks[signs[1]], IqGrids.SignMasks[signs[2]], IqGrids.SignMasks[signs[3]]);
    }

    /// <summary>The block's factor of scale · code: d.</summary>
    public static float Scale(byte* block) => Fp16.Read(block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (int First, int Second) GroupScale(byte* block, int ib)
    {
        var s = 1 + 2 * ((block[106 + ib / 2] >> (4 * (ib & 1))) & 15);
        return (s, s);
    }
}
