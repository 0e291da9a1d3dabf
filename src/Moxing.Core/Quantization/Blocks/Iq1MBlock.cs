using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// IQ1_M (1.75 bits): 256 weights as 8 groups of 32; 32 low index bytes, per eight weights a nibble of 3 index high bits
/// (11-bit indices into <see cref="IqGrids.Iq1"/>) and a shift sign, then four 16-bit words holding per half group a
/// 3-bit scale s and, in their top nibbles, the fp16 d: w = d·(2s + 1) · (level ± 0.125).
/// </summary>
internal readonly unsafe struct Iq1MBlock : IGridBlock<Iq1MBlock>
{
    public static int BlockSize => 256;
    public static int BlockBytes => 56;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (float First, float Second) DecodeScale(byte* block, int ib)
    {
        var d = Iq1MScale(block);
        int s = Unsafe.ReadUnaligned<ushort>(block + 48 + 2 * (ib >> 1)) >> (6 * (ib & 1));
        return (d * (2 * (s & 7) + 1), d * (2 * ((s >> 3) & 7) + 1));
    }

    public static bool Eighths => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Levels<L, TB, TS, TF>(byte* block, int ib)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        // each nibble of the two bytes after the indices: three index bits, then the shift-down bit — bit 11 of an index into IqGrids.Iq1
        var index = IqGrids.Indices(Unsafe.ReadUnaligned<uint>(block + 4 * ib), Unsafe.ReadUnaligned<ushort>(block + 32 + 2 * ib), 0x0F000F000F000F00UL);
        return IqGrids.Entries<L, TB, TS, TF>(IqGrids.Iq1, index);
    }

    /// <summary>The fp16 d assembled from the top nibbles of the four scale words.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Iq1MScale(byte* block)
    {
        uint s0 = Unsafe.ReadUnaligned<ushort>(block + 48), s1 = Unsafe.ReadUnaligned<ushort>(block + 50);
        uint s2 = Unsafe.ReadUnaligned<ushort>(block + 52), s3 = Unsafe.ReadUnaligned<ushort>(block + 54);
        var bits = (ushort)((s0 >> 12) | ((s1 >> 8) & 0x00f0) | ((s2 >> 4) & 0x0f00) | (s3 & 0xf000));
        return Fp16.Read((byte*)&bits);
    }

    /// <summary>The block's factor of scale · code: d/8 (codes are 8·level ± 1).</summary>
    public static float Scale(byte* block) => Iq1MScale(block) * 0.125f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (int First, int Second) GroupScale(byte* block, int ib)
    {
        var s = Unsafe.ReadUnaligned<ushort>(block + 48 + 2 * (ib >> 1)) >> (6 * (ib & 1));
        return (2 * (s & 7) + 1, 2 * ((s >> 3) & 7) + 1);
    }
}
