using Moxing.Core.Quantization.Encoders;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// Q6_K: 256 weights as 16 groups of 16; low nibbles (ql[128]), high 2 bits (qh[64]), signed 8-bit scales (scales[16]),
/// fp16 d; w = (d * sc) * (q - 32).
/// </summary>
internal readonly unsafe struct Q6KBlock : IQ8KDot, IBlockEncoder
{
    public static int BlockSize => 256;
    public static int BlockBytes => 210;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode<S, TF, TI, TSink>(byte* block, ref TSink sink)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where TSink : struct, IWeightSink<TF>
    {
        var scales = new ScaleSet();
        scales.Set(Vector128.Load((sbyte*)(block + 192)), Fp16.Read(block + 208));
        for (var half = 0; half < 2; half++)
        {
            var ql = block + 64 * half;
            var qh = block + 128 + 32 * half;
            nint index = 128 * half;
            for (var g = 0; g < 2; g++)
            {
                var group = 8 * half + g;
                TF d1 = S.Broadcast(scales[group]), d2 = S.Broadcast(scales[group + 2]);
                TF d3 = S.Broadcast(scales[group + 4]), d4 = S.Broadcast(scales[group + 6]);
                for (nint l = 16 * g; l < 16 * g + 16; l += S.Count)
                {
                    var a = S.Bytes(ql + l);
                    var b = S.Bytes(ql + 32 + l);
                    var h = S.Bytes(qh + l);
                    var q1 = S.Or(S.And(a, 15), S.ShiftLeft(S.And(h, 3), 4));
                    var q2 = S.Or(S.And(b, 15), S.ShiftLeft(S.And(S.ShiftRight(h, 2), 3), 4));
                    var q3 = S.Or(S.ShiftRight(a, 4), S.ShiftLeft(S.And(S.ShiftRight(h, 4), 3), 4));
                    var q4 = S.Or(S.ShiftRight(b, 4), S.ShiftLeft(S.ShiftRight(h, 6), 4));
                    sink.Scaled(index + l, S.ToFloat(S.Subtract(q1, 32)), d1, 0);
                    sink.Scaled(index + 32 + l, S.ToFloat(S.Subtract(q2, 32)), d2, 1);
                    sink.Scaled(index + 64 + l, S.ToFloat(S.Subtract(q3, 32)), d3, 2);
                    sink.Scaled(index + 96 + l, S.ToFloat(S.Subtract(q4, 32)), d4, 3);
                }
            }
        }
    }

    public static bool SignedCodes => false;
    public static int LargestCode => 63;
    public static KMins Mins => KMins.SameScale;

    public static float Scale(byte* block) => Fp16.Read(block + 208);
    public static float MinScale(byte* block) => 0;

    /// <summary>Chunk c = 4 · half + j: low nibbles of ql[64·half + 32·(j &amp; 1) ..] (high nibbles for j ≥ 2) and bits 2j..2j+1 of qh[32·half ..].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Chunk<L, TB, TS, TF>(byte* block, int c)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        int half = c >> 2, j = c & 3;
        return Code<L, TB, TS, TF>(L.Load(block + 64 * half + 32 * (j & 1)), L.Load(block + 128 + 32 * half), j);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Quad<L, TB, TS, TF>(byte* block, int h, out TB c0, out TB c1, out TB c2, out TB c3)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var first = L.Load(block + 64 * h);
        var second = L.Load(block + 32 + 64 * h);
        var high = L.Load(block + 128 + 32 * h);
        c0 = Code<L, TB, TS, TF>(first, high, 0);
        c1 = Code<L, TB, TS, TF>(second, high, 1);
        c2 = Code<L, TB, TS, TF>(first, high, 2);
        c3 = Code<L, TB, TS, TF>(second, high, 3);
    }

    /// <summary>Codes j of a half (0..3) from its ql bytes <paramref name="q"/> and qh bytes <paramref name="h"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TB Code<L, TB, TS, TF>(TB q, TB h, int j)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var low = j < 2 ? L.And(q, 15) : L.ShiftRight(q, 4);
        // bits 2j..2j+1 of qh moved to bits 4..5 with one shift (none for j = 2) and one mask
        var high = j switch { 0 => L.ShiftLeft(h, 4), 1 => L.ShiftLeft(h, 2), 2 => h, _ => L.ShiftRight(h, 2) };
        return L.Or(low, L.And(high, 0x30));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB PairScales<L, TB, TS, TF>(byte* a, byte* b, out TB minimumsA, out TB scalesB, out TB minimumsB)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        ChunkQuads.SeparateScales<Q6KBlock, L, TB, TS, TF>(a, b, out minimumsA, out scalesB, out minimumsB);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Scales<L, TB, TS, TF>(byte* block, out TB minimums)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var sc = Vector128.Load((sbyte*)(block + 192));
        minimums = L.Widen(sc, -32);
        return GroupScales.ChunkOrder<L, TB, TS, TF>(sc);
    }

    /// <summary>ggml's quantize_row_q6_K_ref: make_qx_quants per 16 weights (x² weights), signed 8-bit scales under d = max / -128.</summary>
    public static void Encode(float* src, byte* dst) => Encode(src, dst, null);

    /// <summary>ggml's quantize_row_q6_K_impl: as the reference with the importance as make_qx_quants' weights.</summary>
    public static void EncodeWeighted(float* src, byte* dst, float* importance, float rowSigma2) => Encode(src, dst, importance);

    private static void Encode(float* src, byte* dst, float* importance)
    {
        var codes = stackalloc sbyte[256];
        var scales = stackalloc float[16];
        float maxScale = 0, maxAbsScale = 0;
        for (var ib = 0; ib < 16; ib++)
        {
            var scale = ScaleSearch.SymmetricCodes(16, 32, src + 16 * ib, codes + 16 * ib, importance == null ? null : importance + 16 * ib);
            scales[ib] = scale;
            if (MathF.Abs(scale) > maxAbsScale)
            {
                maxAbsScale = MathF.Abs(scale);
                maxScale = scale;
            }
        }
        if (maxAbsScale < ScaleSearch.GroupMaxEps)
        {
            new Span<byte>(dst, 210).Clear();
            return;
        }
        var iscale = -128f / maxScale;
        Fp16.Write(dst + 208, 1 / iscale);
        var blockScales = (sbyte*)(dst + 192);
        for (var ib = 0; ib < 16; ib++) blockScales[ib] = (sbyte)Math.Min(127, ScaleSearch.NearestInt(iscale * scales[ib]));
        var d = Fp16.Read(dst + 208);
        for (var j = 0; j < 16; j++)
        {
            var dl = d * blockScales[j];
            if (dl == 0) continue;
            for (var i = 0; i < 16; i++)
                codes[16 * j + i] = (sbyte)(Math.Clamp(ScaleSearch.NearestInt(src[16 * j + i] / dl), -32, 31) + 32);
        }
        var ql = dst;
        var qh = dst + 128;
        for (var j = 0; j < 256; j += 128, ql += 64, qh += 32)
        {
            for (var l = 0; l < 32; l++)
            {
                int q1 = codes[j + l], q2 = codes[j + l + 32], q3 = codes[j + l + 64], q4 = codes[j + l + 96];
                ql[l] = (byte)((q1 & 0xF) | ((q3 & 0xF) << 4));
                ql[l + 32] = (byte)((q2 & 0xF) | ((q4 & 0xF) << 4));
                qh[l] = (byte)((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
            }
        }
    }
}
