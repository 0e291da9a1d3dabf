using Moxing.Core.Quantization.Encoders;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// IQ4_XS: 256 weights as 8 sub-blocks of 32; fp16 d, 6-bit scales (low nibbles in scales_l[4], high 2 bits in the
/// 16-bit scales_h), 4-bit indices into <see cref="Iq4Codebook"/>; w = (d * (ls - 32)) * level.
/// </summary>
internal readonly unsafe struct Iq4XsBlock : IQ8KDot, IBlockEncoder
{
    public static int BlockSize => 256;
    public static int BlockBytes => 136;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode<S, TF, TI, TSink>(byte* block, ref TSink sink)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where TSink : struct, IWeightSink<TF>
    {
        var d = Fp16.Read(block);
        int scalesHigh = Unsafe.ReadUnaligned<ushort>(block + 2);
        var scalesLow = block + 4;
        for (var ib = 0; ib < 8; ib++)
        {
            var ls = ((scalesLow[ib >> 1] >> (4 * (ib & 1))) & 15) | (((scalesHigh >> (2 * ib)) & 3) << 4);
            var dl = S.Broadcast(d * (ls - 32));
            var q = block + 8 + 16 * ib;
            nint index = 32 * ib;
            for (nint j = 0; j < 16; j += S.Count)
            {
                sink.Scaled(index + j, S.ToFloat(S.Levels(q + j, 0, Iq4Codebook.Table)), dl, 0);
                sink.Scaled(index + 16 + j, S.ToFloat(S.Levels(q + j, 4, Iq4Codebook.Table)), dl, 1);
            }
        }
    }

    public static bool SignedCodes => true;
    public static int LargestCode => 127;
    public static KMins Mins => KMins.None;

    public static float Scale(byte* block) => Fp16.Read(block);
    public static float MinScale(byte* block) => 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Chunk<L, TB, TS, TF>(byte* block, int c)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        L.Lookup(L.Nibbles(block + 8 + 16 * c), Iq4Codebook.Table);

    /// <summary>The eight 6-bit sub-block scales minus 32, each for both groups of its chunk.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Quad<L, TB, TS, TF>(byte* block, int h, out TB c0, out TB c1, out TB c2, out TB c3)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        ChunkQuads.Separate<Iq4XsBlock, L, TB, TS, TF>(block, h, out c0, out c1, out c2, out c3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB PairScales<L, TB, TS, TF>(byte* a, byte* b, out TB minimumsA, out TB scalesB, out TB minimumsB)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        ChunkQuads.SeparateScales<Iq4XsBlock, L, TB, TS, TF>(a, b, out minimumsA, out scalesB, out minimumsB);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Scales<L, TB, TS, TF>(byte* block, out TB minimums)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        minimums = default;
        var ls = SubBlockScales(block);
        return L.Widen(Vector128.Create(ls, ls).AsSByte() - Vector128.Create((sbyte)32), 1);
    }

    /// <summary>The block's eight six-bit sub-block scales, before the bias of 32: byte ib = nibble ib of scales_l | bits
    /// 2ib..2ib+1 of scales_h &lt;&lt; 4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong SubBlockScales(byte* block)
    {
        uint low = Unsafe.ReadUnaligned<uint>(block + 4), high = Unsafe.ReadUnaligned<ushort>(block + 2);
        if (Bmi2.X64.IsSupported)
            return Bmi2.X64.ParallelBitDeposit(low, 0x0F0F0F0F0F0F0F0FUL) | Bmi2.X64.ParallelBitDeposit(high, 0x3030303030303030UL);
        ulong ls = 0;
        for (var ib = 0; ib < 8; ib++)
            ls |= (ulong)(((low >> (4 * ib)) & 15) | (((high >> (2 * ib)) & 3) << 4)) << (8 * ib);
        return ls;
    }

    /// <summary>Writes eight six-bit sub-block scales (byte ib for sub-block ib) as the block's scales_h and scales_l: the
    /// inverse of <see cref="SubBlockScales"/>.</summary>
    internal static void WriteSubBlockScales(byte* block, ulong ls)
    {
        uint low = 0, high = 0;
        for (var ib = 0; ib < 8; ib++)
        {
            var v = (uint)(ls >> (8 * ib)) & 63;
            low |= (v & 15) << (4 * ib);
            high |= (v >> 4) << (2 * ib);
        }
        Unsafe.WriteUnaligned(block + 2, (ushort)high);
        Unsafe.WriteUnaligned(block + 4, low);
    }

    /// <summary>ggml's quantize_iq4_xs without importance.</summary>
    public static void Encode(float* src, byte* dst) => Iq4Codes.Encode(256, src, dst, dst + 8, dst + 2, dst + 4, null);

    /// <summary>ggml's quantize_iq4_xs with importance.</summary>
    public static void EncodeWeighted(float* src, byte* dst, float* importance, float rowSigma2) =>
        Iq4Codes.Encode(256, src, dst, dst + 8, dst + 2, dst + 4, importance);
}
