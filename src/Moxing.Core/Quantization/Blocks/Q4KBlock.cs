using Moxing.Core.Quantization.Encoders;
using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// Q4_K: 256 weights as 8 sub-blocks of 32; fp16 d and dmin, 6-bit scales and mins (<see cref="KScales"/>), 4-bit codes
/// (qs[128], low nibbles first); w = (d * sc) * q - dmin * m.
/// </summary>
internal readonly unsafe struct Q4KBlock : IQ8KDot, IBlockEncoder
{
    public static int BlockSize => 256;
    public static int BlockBytes => 144;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode<S, TF, TI, TSink>(byte* block, ref TSink sink)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where TSink : struct, IWeightSink<TF>
    {
        var d = Fp16.Read(block);
        var dmin = Fp16.Read(block + 2);
        var scales = new ScaleSet();
        KScales.Unpack(block + 4, d, dmin, ref scales);
        for (var j = 0; j < 4; j++)
        {
            var q = block + 16 + 32 * j;
            TF d0 = S.Broadcast(scales[2 * j]), m0 = S.Broadcast(scales[8 + 2 * j]);
            TF d1 = S.Broadcast(scales[2 * j + 1]), m1 = S.Broadcast(scales[9 + 2 * j]);
            nint index = 64 * j;
            for (nint l = 0; l < 32; l += S.Count)
            {
                var b = S.Bytes(q + l);
                sink.ScaledOffset(index + l, S.ToFloat(S.And(b, 15)), d0, m0, 0);
                sink.ScaledOffset(index + 32 + l, S.ToFloat(S.ShiftRight(b, 4)), d1, m1, 1);
            }
        }
    }

    public static bool SignedCodes => false;
    public static int LargestCode => 15;
    public static KMins Mins => KMins.OwnScale;

    public static float Scale(byte* block) => Fp16.Read(block);
    public static float MinScale(byte* block) => -Fp16.Read(block + 2);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Chunk<L, TB, TS, TF>(byte* block, int c)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        (c & 1) == 0 ? L.And(L.Load(block + 16 + 32 * (c >> 1)), 15) : L.ShiftRight(L.Load(block + 16 + 32 * (c >> 1)), 4);

    // separate chunks: each of the two uses of a load folds into its and / shift, which costs fewer instructions than one shared load
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Quad<L, TB, TS, TF>(byte* block, int h, out TB c0, out TB c1, out TB c2, out TB c3)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        ChunkQuads.Separate<Q4KBlock, L, TB, TS, TF>(block, h, out c0, out c1, out c2, out c3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB PairScales<L, TB, TS, TF>(byte* a, byte* b, out TB minimumsA, out TB scalesB, out TB minimumsB)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        KScales.PairScales<L, TB, TS, TF>(a + 4, b + 4, out minimumsA, out scalesB, out minimumsB);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Scales<L, TB, TS, TF>(byte* block, out TB minimums)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        return KScales.Scales<L, TB, TS, TF>(block + 4, out minimums);
    }

    /// <summary>ggml's quantize_row_q4_K_ref.</summary>
    public static void Encode(float* src, byte* dst)
    {
        var codes = stackalloc byte[256];
        AffineSuperBlock.Encode(src, dst, codes, 15, -1f, 20);
        Pack(codes, dst);
    }

    /// <summary>ggml's quantize_row_q4_K_impl.</summary>
    public static void EncodeWeighted(float* src, byte* dst, float* importance, float rowSigma2)
    {
        var codes = stackalloc byte[256];
        AffineSuperBlock.EncodeWeighted(src, dst, codes, 15, importance, clampScales: false);
        Pack(codes, dst);
    }

    private static void Pack(byte* codes, byte* dst)
    {
        var q = dst + 16;
        for (var j = 0; j < 256; j += 64, q += 32)
            for (var l = 0; l < 32; l++) q[l] = (byte)(codes[j + l] | (codes[j + l + 32] << 4));
    }
}
