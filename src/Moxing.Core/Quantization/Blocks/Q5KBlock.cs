using Moxing.Core.Quantization.Encoders;
using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// Q5_K: as <see cref="Q4KBlock"/> plus a fifth bit per weight (qh[32]: bit 2j and 2j+1 of byte l belong to sub-blocks
/// 2j and 2j+1); w = (d * sc) * q - dmin * m.
/// </summary>
internal readonly unsafe struct Q5KBlock : IQ8KDot, IBlockEncoder
{
    public static int BlockSize => 256;
    public static int BlockBytes => 176;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode<S, TF, TI, TSink>(byte* block, ref TSink sink)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where TSink : struct, IWeightSink<TF>
    {
        var d = Fp16.Read(block);
        var dmin = Fp16.Read(block + 2);
        var scales = new ScaleSet();
        KScales.Unpack(block + 4, d, dmin, ref scales);
        var qh = block + 16;
        for (var j = 0; j < 4; j++)
        {
            var q = block + 48 + 32 * j;
            TF d0 = S.Broadcast(scales[2 * j]), m0 = S.Broadcast(scales[8 + 2 * j]);
            TF d1 = S.Broadcast(scales[2 * j + 1]), m1 = S.Broadcast(scales[9 + 2 * j]);
            nint index = 64 * j;
            for (nint l = 0; l < 32; l += S.Count)
            {
                var b = S.Bytes(q + l);
                var h = S.Bytes(qh + l);
                var lo = S.Or(S.And(b, 15), S.ShiftLeft(S.And(S.ShiftRight(h, 2 * j), 1), 4));
                var hi = S.Or(S.ShiftRight(b, 4), S.ShiftLeft(S.And(S.ShiftRight(h, 2 * j + 1), 1), 4));
                sink.ScaledOffset(index + l, S.ToFloat(lo), d0, m0, 0);
                sink.ScaledOffset(index + 32 + l, S.ToFloat(hi), d1, m1, 1);
            }
        }
    }

    public static bool SignedCodes => false;
    public static int LargestCode => 31;
    public static KMins Mins => KMins.OwnScale;

    public static float Scale(byte* block) => Fp16.Read(block);
    public static float MinScale(byte* block) => -Fp16.Read(block + 2);

    /// <summary>Chunk c's low nibbles (even c) or high nibbles (odd c), with bit c of each qh byte as the fifth bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Chunk<L, TB, TS, TF>(byte* block, int c)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        L.Or((c & 1) == 0 ? L.And(L.Load(block + 48 + 32 * (c >> 1)), 15) : L.ShiftRight(L.Load(block + 48 + 32 * (c >> 1)), 4),
            L.ShiftLeft(L.And(L.ShiftRight(L.Load(block + 16), c), 1), 4));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Quad<L, TB, TS, TF>(byte* block, int h, out TB c0, out TB c1, out TB c2, out TB c3)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        ChunkQuads.Separate<Q5KBlock, L, TB, TS, TF>(block, h, out c0, out c1, out c2, out c3);

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

    /// <summary>ggml's quantize_row_q5_K_ref.</summary>
    public static void Encode(float* src, byte* dst)
    {
        var codes = stackalloc byte[256];
        AffineSuperBlock.Encode(src, dst, codes, 31, -0.5f, 15);
        Pack(codes, dst);
    }

    /// <summary>ggml's quantize_row_q5_K_impl.</summary>
    public static void EncodeWeighted(float* src, byte* dst, float* importance, float rowSigma2)
    {
        var codes = stackalloc byte[256];
        AffineSuperBlock.EncodeWeighted(src, dst, codes, 31, importance, clampScales: true);
        Pack(codes, dst);
    }

    // Low nibbles in qs (two sub-blocks per 32 bytes), the fifth bits in qh: bits 2k and 2k+1 for sub-blocks 2k and 2k+1.
    private static void Pack(byte* codes, byte* dst)
    {
        var qh = dst + 16;
        var ql = dst + 48;
        new Span<byte>(qh, 32).Clear();
        byte m1 = 1, m2 = 2;
        for (var n = 0; n < 256; n += 64)
        {
            for (var j = 0; j < 32; j++)
            {
                int l1 = codes[n + j], l2 = codes[n + j + 32];
                if (l1 > 15) { l1 -= 16; qh[j] |= m1; }
                if (l2 > 15) { l2 -= 16; qh[j] |= m2; }
                ql[j] = (byte)(l1 | (l2 << 4));
            }
            m1 <<= 2;
            m2 <<= 2;
            ql += 32;
        }
    }
}
