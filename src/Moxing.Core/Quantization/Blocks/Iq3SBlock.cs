using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

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
        var s = Fp16.Read(block) * (1 + 2 * ((block[106 + (ib >> 1)] >> (4 * (ib & 1))) & 15));
        return (s, s);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Levels<L, TB, TS, TF>(byte* block, int ib)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var q = block + 2 + 8 * ib;
        uint high = block[66 + ib];
        // nine-bit indices: bit i of high is bit 8 of index i
        var first = IqGrids.Indices(Unsafe.ReadUnaligned<uint>(q), high, 0x0100010001000100UL);
        var second = IqGrids.Indices(Unsafe.ReadUnaligned<uint>(q + 4), high >> 4, 0x0100010001000100UL);
        return IqGrids.HalfEntries<L, TB, TS, TF>(IqGrids.Iq3S, first, second);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Negative<L, TB, TS, TF>(byte* block, int ib)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        IqGrids.ByteSigns<L, TB, TS, TF>(block + 74 + 4 * ib);

    /// <summary>The block's factor of scale · code: d.</summary>
    public static float Scale(byte* block) => Fp16.Read(block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (int First, int Second) GroupScale(byte* block, int ib)
    {
        var s = 1 + 2 * ((block[106 + (ib >> 1)] >> (4 * (ib & 1))) & 15);
        return (s, s);
    }
}
