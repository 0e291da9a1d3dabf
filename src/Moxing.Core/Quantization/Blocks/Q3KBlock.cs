using Moxing.Core.Quantization.Encoders;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// Q3_K: 256 weights as 16 groups of 16; high bits (hmask[32]), 2-bit low codes (qs[64]), 6-bit signed scales packed in
/// 12 bytes, fp16 d; w = (d * (sc - 32)) * (q - 4 * (1 - hbit)).
/// </summary>
internal readonly unsafe struct Q3KBlock : IQ8KDot, IBlockEncoder
{
    public static int BlockSize => 256;
    public static int BlockBytes => 110;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode<S, TF, TI, TSink>(byte* block, ref TSink sink)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where TSink : struct, IWeightSink<TF>
    {
        var hmask = block;
        var scales = new ScaleSet();
        scales.Set(UnpackScales(block + 96), Fp16.Read(block + 108));
        for (var half = 0; half < 2; half++)
        {
            var q = block + 32 + 32 * half;
            for (var j = 0; j < 4; j++)
            {
                var shift = 2 * j;
                var bit = 4 * half + j;
                var group = 8 * half + 2 * j;
                nint index = 128 * half + 32 * j;
                TF d0 = S.Broadcast(scales[group]), d1 = S.Broadcast(scales[group + 1]);
                for (nint l = 0; l < 16; l += S.Count)
                {
                    sink.Scaled(index + l, Code<S, TF, TI>(q + l, hmask + l, shift, bit), d0, 0);
                    sink.Scaled(index + 16 + l, Code<S, TF, TI>(q + 16 + l, hmask + 16 + l, shift, bit), d1, 1);
                }
            }
        }
    }

    /// <summary>The 16 signed 6-bit scales: low 4 bits from bytes 0..7 (low nibbles are groups 0..7, high nibbles
    /// 8..15), high 2 bits from bytes 8..11 (bits 2k..2k+1 of byte 8 + i%4 for group i, k = i/4); ggml's word trick.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<sbyte> UnpackScales(byte* s)
    {
        const uint low4 = 0x0F0F0F0F, low2 = 0x03030303;
        uint a = Unsafe.ReadUnaligned<uint>(s), b = Unsafe.ReadUnaligned<uint>(s + 4), high = Unsafe.ReadUnaligned<uint>(s + 8);
        var codes = Vector128.Create(
            (a & low4) | ((high & low2) << 4),
            (b & low4) | (((high >> 2) & low2) << 4),
            ((a >> 4) & low4) | (((high >> 4) & low2) << 4),
            ((b >> 4) & low4) | (((high >> 6) & low2) << 4));
        return codes.AsSByte() - Vector128.Create((sbyte)32);
    }

    /// <summary>Codes q - 4 + 4 * hbit in -4..3 for the lanes at <paramref name="q"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF Code<S, TF, TI>(byte* q, byte* h, int shift, int bit)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct
    {
        var low = S.And(S.ShiftRight(S.Bytes(q), shift), 3);
        var high = S.ShiftLeft(S.And(S.ShiftRight(S.Bytes(h), bit), 1), 2);
        return S.ToFloat(S.Subtract(S.Or(low, high), 4));
    }

    public static bool SignedCodes => false;
    public static int LargestCode => 7;
    public static KMins Mins => KMins.SameScale;

    public static float Scale(byte* block) => Fp16.Read(block + 108);
    public static float MinScale(byte* block) => 0;

    /// <summary>Chunk c = 4 · half + j: bits 2j..2j+1 of qs[32·half ..] and bit c of each hmask byte as the third bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Chunk<L, TB, TS, TF>(byte* block, int c)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        L.Or(L.And(L.ShiftRight(L.Load(block + 32 + 32 * (c >> 2)), 2 * (c & 3)), 3), L.ShiftLeft(L.And(L.ShiftRight(L.Load(block), c), 1), 2));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Quad<L, TB, TS, TF>(byte* block, int h, out TB c0, out TB c1, out TB c2, out TB c3)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        ChunkQuads.Separate<Q3KBlock, L, TB, TS, TF>(block, h, out c0, out c1, out c2, out c3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB PairScales<L, TB, TS, TF>(byte* a, byte* b, out TB minimumsA, out TB scalesB, out TB minimumsB)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        ChunkQuads.SeparateScales<Q3KBlock, L, TB, TS, TF>(a, b, out minimumsA, out scalesB, out minimumsB);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Scales<L, TB, TS, TF>(byte* block, out TB minimums)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var sc = UnpackScales(block + 96);
        minimums = L.Widen(sc, -4);
        return GroupScales.ChunkOrder<L, TB, TS, TF>(sc);
    }

    /// <summary>ggml's quantize_row_q3_K_ref: make_q3_quants per 16 weights, signed 6-bit scales under d = max / -32.</summary>
    public static void Encode(float* src, byte* dst)
    {
        var codes = stackalloc sbyte[256];
        var scales = stackalloc float[16];
        float maxScale = 0, amax = 0;
        for (var j = 0; j < 16; j++)
        {
            scales[j] = ScaleSearch.RefinedSymmetricCodes(16, 4, src + 16 * j, codes + 16 * j);
            var scale = MathF.Abs(scales[j]);
            if (scale > amax)
            {
                amax = scale;
                maxScale = scales[j];
            }
        }
        var packed = dst + 96;
        new Span<byte>(packed, 12).Clear();
        if (maxScale != 0)
        {
            var iscale = -32f / maxScale;
            for (var j = 0; j < 16; j++)
                PackScale(packed, j, (sbyte)(Math.Clamp((int)(sbyte)ScaleSearch.NearestInt(iscale * scales[j]), -32, 31) + 32));
            Fp16.Write(dst + 108, 1 / iscale);
        }
        else Fp16.Write(dst + 108, 0f);
        RequantizeAndPack(src, dst, codes);
    }

    /// <summary>ggml's quantize_row_q3_K_impl: make_qx_quants under importance weights, then again for the 16 scales.</summary>
    public static void EncodeWeighted(float* src, byte* dst, float* importance, float rowSigma2)
    {
        var codes = stackalloc sbyte[256];
        var scales = stackalloc float[16];
        var weights = stackalloc float[16];
        var sw = stackalloc float[16];
        var ls = stackalloc sbyte[16];
        var sigma2 = 2 * ScaleSearch.SumOfSquares(src, 256) / 256;
        for (var j = 0; j < 16; j++)
        {
            LegacyCodes.ImportanceWeights(src + 16 * j, importance + 16 * j, sigma2, weights, 16);
            sw[j] = ScaleSearch.Sum(weights, 16);
            scales[j] = ScaleSearch.SymmetricCodes(16, 4, src + 16 * j, codes + 16 * j, weights);
        }
        var packed = dst + 96;
        new Span<byte>(packed, 12).Clear();
        var dBlock = ScaleSearch.SymmetricCodes(16, 32, scales, ls, sw);
        for (var j = 0; j < 16; j++) PackScale(packed, j, ls[j]);
        Fp16.Write(dst + 108, dBlock);
        RequantizeAndPack(src, dst, codes);
    }

    // Scale j (0..63): low nibble in byte j (j < 8) or the high nibble of byte j - 8, top 2 bits in byte 8 + j % 4.
    private static void PackScale(byte* s, int j, int l)
    {
        if (j < 8) s[j] = (byte)(l & 0xF);
        else s[j - 8] |= (byte)((l & 0xF) << 4);
        s[j % 4 + 8] |= (byte)((l >> 4) << (2 * (j / 4)));
    }

    // Codes again from the stored scales, then the high bit of each into hmask and the low two bits four to a byte.
    private static void RequantizeAndPack(float* src, byte* dst, sbyte* codes)
    {
        var packed = dst + 96;
        var d = Fp16.Read(dst + 108);
        for (var j = 0; j < 16; j++)
        {
            var low = j < 8 ? packed[j] & 0xF : packed[j - 8] >> 4;
            var sc = (sbyte)((sbyte)(low | (((packed[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32);
            var dl = d * sc;
            if (dl == 0) continue;
            for (var i = 0; i < 16; i++)
                codes[16 * j + i] = (sbyte)(Math.Clamp(ScaleSearch.NearestInt(src[16 * j + i] / dl), -4, 3) + 4);
        }
        var hmask = dst;
        new Span<byte>(hmask, 32).Clear();
        var m = 0;
        byte hm = 1;
        for (var j = 0; j < 256; j++)
        {
            if (codes[j] > 3)
            {
                hmask[m] |= hm;
                codes[j] -= 4;
            }
            if (++m == 32)
            {
                m = 0;
                hm <<= 1;
            }
        }
        var qs = dst + 32;
        var bits = (byte*)codes; // every code is now 0..3
        for (var j = 0; j < 256; j += 128)
            for (var l = 0; l < 32; l++)
                qs[j / 4 + l] = (byte)(bits[j + l] | (bits[j + l + 32] << 2) | (bits[j + l + 64] << 4) | (bits[j + l + 96] << 6));
    }
}
