using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// IQ1_S (1.56 bits): 256 weights as 8 groups of 32; fp16 d, 32 low index bytes, then per group a 16-bit word of four
/// 3-bit index highs (11-bit indices into <see cref="IqGrids.Iq1"/>, levels −1, 0, 1), a 3-bit scale s and a shift sign:
/// w = d·(2s + 1) · (level ± 0.125).
/// </summary>
internal readonly unsafe struct Iq1SBlock : IGridBlock<Iq1SBlock>
{
    public static int BlockSize => 256;
    public static int BlockBytes => 50;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (float First, float Second) DecodeScale(byte* block, int ib)
    {
        var s = Fp16.Read(block) * (2 * ((Unsafe.ReadUnaligned<ushort>(block + 34 + 2 * ib) >> 12) & 7) + 1);
        return (s, s);
    }

    public static bool Eighths => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Levels<L, TB, TS, TF>(byte* block, int ib)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        uint high = Unsafe.ReadUnaligned<ushort>(block + 34 + 2 * ib);
        var grid = IqGrids.Iq1 + (high >> 15) * IqGrids.Iq1Down;
        // eleven-bit indices: bits 3i .. 3i + 2 of high are bits 8..10 of index i
        var index = IqGrids.Indices(Unsafe.ReadUnaligned<uint>(block + 2 + 4 * ib), high, 0x0700070007000700UL);
        return IqGrids.Entries<L, TB, TS, TF>(grid, index);
    }

    /// <summary>The block's factor of scale · code: d/8 (codes are 8·level ± 1).</summary>
    public static float Scale(byte* block) => Fp16.Read(block) * 0.125f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (int First, int Second) GroupScale(byte* block, int ib)
    {
        var s = 2 * ((Unsafe.ReadUnaligned<ushort>(block + 34 + 2 * ib) >> 12) & 7) + 1;
        return (s, s);
    }
}
