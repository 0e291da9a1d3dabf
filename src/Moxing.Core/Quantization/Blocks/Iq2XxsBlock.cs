using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// IQ2_XXS (2.06 bits): 256 weights as 8 groups of 32; fp16 d, then per group four bytes indexing
/// <see cref="IqGrids.Iq2Xxs"/> (eight levels each) and a word of four 7-bit sign patterns and a 4-bit scale s:
/// w = d·(0.5 + s)·0.25 · ±level.
/// </summary>
internal readonly unsafe struct Iq2XxsBlock : IGridBlock<Iq2XxsBlock>
{
    public static int BlockSize => 256;
    public static int BlockBytes => 66;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (float First, float Second) DecodeScale(byte* block, int ib)
    {
        var d = Fp16.Read(block);
        var s = d * (0.5f + (Unsafe.ReadUnaligned<uint>(block + 6 + 8 * ib) >> 28)) * 0.25f;
        return (s, s);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Levels<L, TB, TS, TF>(byte* block, int ib)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        byte* q = block + 2 + 8 * ib;
        var grid = IqGrids.Iq2Xxs;
        return L.Words(grid + q[0], grid + q[1], grid + q[2], grid + q[3]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Negative<L, TB, TS, TF>(byte* block, int ib)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        IqGrids.SevenBitSigns<L, TB, TS, TF>(Unsafe.ReadUnaligned<uint>(block + 6 + 8 * ib));

    /// <summary>The block's factor of scale · code: d/8 (d·(0.5 + s)·0.25 = d/8·(2s + 1)).</summary>
    public static float Scale(byte* block) => Fp16.Read(block) * 0.125f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (int First, int Second) GroupScale(byte* block, int ib)
    {
        var s = (int)(2 * (Unsafe.ReadUnaligned<uint>(block + 6 + 8 * ib) >> 28) + 1);
        return (s, s);
    }
}
