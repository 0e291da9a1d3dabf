using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// IQ3_XXS (3.06 bits): 256 weights as 8 groups of 32; fp16 d, 64 bytes indexing <see cref="IqGrids.Iq3Xxs"/> (four
/// levels each), then per group a word of four 7-bit sign patterns and a 4-bit scale s: w = d·(0.5 + s)·0.5 · ±level.
/// </summary>
internal readonly unsafe struct Iq3XxsBlock : IGridBlock<Iq3XxsBlock>
{
    public static int BlockSize => 256;
    public static int BlockBytes => 98;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (float First, float Second) DecodeScale(byte* block, int ib)
    {
        var s = Fp16.Read(block) * (0.5f + (Unsafe.ReadUnaligned<uint>(block + 66 + 4 * ib) >> 28)) * 0.5f;
        return (s, s);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Levels<L, TB, TS, TF>(byte* block, int ib)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var q = block + 2 + 8 * ib;
        var grid = IqGrids.Iq3Xxs;
        return L.HalfWords(grid + q[0], grid + q[1], grid + q[2], grid + q[3], grid + q[4], grid + q[5], grid + q[6], grid + q[7]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Negative<L, TB, TS, TF>(byte* block, int ib)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        IqGrids.SevenBitSigns<L, TB, TS, TF>(Unsafe.ReadUnaligned<uint>(block + 66 + 4 * ib));

    /// <summary>The block's factor of scale · code: d/4 (d·(0.5 + s)·0.5 = d/4·(2s + 1)).</summary>
    public static float Scale(byte* block) => Fp16.Read(block) * 0.25f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (int First, int Second) GroupScale(byte* block, int ib)
    {
        var s = (int)(2 * (Unsafe.ReadUnaligned<uint>(block + 66 + 4 * ib) >> 28) + 1);
        return (s, s);
    }
}
