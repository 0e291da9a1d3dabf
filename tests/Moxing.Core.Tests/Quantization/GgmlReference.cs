using Moxing.Core.Tensors;

namespace Moxing.Core.Tests.Quantization;

/// <summary>
/// A line-by-line port of ggml-quants.c's dequantize_row_* (scalar, element by element, ggml's own loop structure), used
/// as an oracle independent of the production decoders' vectorised structure.
/// </summary>
internal static class GgmlReference
{
    private static readonly sbyte[] KValuesMxfp4 = [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12];
    private static readonly sbyte[] KValuesIq4Nl = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

    private static float H(ReadOnlySpan<byte> b, int at) => (float)BitConverter.ToHalf(b.Slice(at, 2));

    public static float[] Dequantize(DType type, byte[] src, int elements)
    {
        var y = new float[elements];
        var bs = type.BlockBytes();
        var qk = type.BlockSize();
        for (var i = 0; i < elements / qk; i++)
        {
            var x = src.AsSpan(i * bs, bs);
            var o = y.AsSpan(i * qk, qk);
            switch (type)
            {
                case DType.F32: o[0] = BitConverter.ToSingle(x); break;
                case DType.F16: o[0] = H(x, 0); break;
                case DType.BF16: o[0] = BitConverter.Int32BitsToSingle(BitConverter.ToUInt16(x) << 16); break;
                case DType.Q4_0: Q4_0(x, o); break;
                case DType.Q4_1: Q4_1(x, o); break;
                case DType.Q5_0: Q5_0(x, o); break;
                case DType.Q5_1: Q5_1(x, o); break;
                case DType.Q8_0: Q8_0(x, o); break;
                case DType.Q2_K: Q2_K(x, o); break;
                case DType.Q3_K: Q3_K(x, o); break;
                case DType.Q4_K: Q4_K(x, o); break;
                case DType.Q5_K: Q5_K(x, o); break;
                case DType.Q6_K: Q6_K(x, o); break;
                case DType.IQ4_NL: Iq4Nl(x, o); break;
                case DType.IQ4_XS: Iq4Xs(x, o); break;
                case DType.MXFP4: Mxfp4(x, o); break;
                default: throw new NotSupportedException(type.ToString());
            }
        }
        return y;
    }

    private static void Q4_0(ReadOnlySpan<byte> x, Span<float> y)
    {
        var d = H(x, 0);
        for (var j = 0; j < 16; ++j)
        {
            int x0 = (x[2 + j] & 0x0F) - 8, x1 = (x[2 + j] >> 4) - 8;
            y[j] = x0 * d;
            y[j + 16] = x1 * d;
        }
    }

    private static void Q4_1(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = H(x, 0), m = H(x, 2);
        for (var j = 0; j < 16; ++j)
        {
            int x0 = x[4 + j] & 0x0F, x1 = x[4 + j] >> 4;
            y[j] = x0 * d + m;
            y[j + 16] = x1 * d + m;
        }
    }

    private static void Q5_0(ReadOnlySpan<byte> x, Span<float> y)
    {
        var d = H(x, 0);
        var qh = BitConverter.ToUInt32(x[2..]);
        for (var j = 0; j < 16; ++j)
        {
            var xh0 = (byte)(((qh >> j) << 4) & 0x10);
            var xh1 = (byte)((qh >> (j + 12)) & 0x10);
            int x0 = ((x[6 + j] & 0x0F) | xh0) - 16, x1 = ((x[6 + j] >> 4) | xh1) - 16;
            y[j] = x0 * d;
            y[j + 16] = x1 * d;
        }
    }

    private static void Q5_1(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = H(x, 0), m = H(x, 2);
        var qh = BitConverter.ToUInt32(x[4..]);
        for (var j = 0; j < 16; ++j)
        {
            var xh0 = (byte)(((qh >> j) << 4) & 0x10);
            var xh1 = (byte)((qh >> (j + 12)) & 0x10);
            int x0 = (x[8 + j] & 0x0F) | xh0, x1 = (x[8 + j] >> 4) | xh1;
            y[j] = x0 * d + m;
            y[j + 16] = x1 * d + m;
        }
    }

    private static void Q8_0(ReadOnlySpan<byte> x, Span<float> y)
    {
        var d = H(x, 0);
        for (var j = 0; j < 32; ++j) y[j] = (sbyte)x[2 + j] * d;
    }

    private static void Q2_K(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = H(x, 80), min = H(x, 82);
        int q = 16, o = 0, s = 0;
        for (var n = 0; n < 256; n += 128)
        {
            var shift = 0;
            for (var j = 0; j < 4; ++j)
            {
                int sc = x[s++];
                float dl = d * (sc & 0xF), ml = min * (sc >> 4);
                for (var l = 0; l < 16; ++l) y[o++] = dl * (sbyte)((x[q + l] >> shift) & 3) - ml;
                sc = x[s++];
                dl = d * (sc & 0xF); ml = min * (sc >> 4);
                for (var l = 0; l < 16; ++l) y[o++] = dl * (sbyte)((x[q + l + 16] >> shift) & 3) - ml;
                shift += 2;
            }
            q += 32;
        }
    }

    private static void Q3_K(ReadOnlySpan<byte> x, Span<float> y)
    {
        const uint kmask1 = 0x03030303, kmask2 = 0x0f0f0f0f;
        var dAll = H(x, 108);
        Span<uint> aux = stackalloc uint[4];
        aux[0] = BitConverter.ToUInt32(x[96..]);
        aux[1] = BitConverter.ToUInt32(x[100..]);
        aux[2] = BitConverter.ToUInt32(x[104..]);
        var tmp = aux[2];
        aux[2] = ((aux[0] >> 4) & kmask2) | (((tmp >> 4) & kmask1) << 4);
        aux[3] = ((aux[1] >> 4) & kmask2) | (((tmp >> 6) & kmask1) << 4);
        aux[0] = (aux[0] & kmask2) | (((tmp >> 0) & kmask1) << 4);
        aux[1] = (aux[1] & kmask2) | (((tmp >> 2) & kmask1) << 4);
        var scales = System.Runtime.InteropServices.MemoryMarshal.Cast<uint, sbyte>(aux);
        int q = 32, o = 0, s = 0;
        byte m = 1;
        for (var n = 0; n < 256; n += 128)
        {
            var shift = 0;
            for (var j = 0; j < 4; ++j)
            {
                var dl = dAll * (scales[s++] - 32);
                for (var l = 0; l < 16; ++l) y[o++] = dl * ((sbyte)((x[q + l] >> shift) & 3) - ((x[l] & m) != 0 ? 0 : 4));
                dl = dAll * (scales[s++] - 32);
                for (var l = 0; l < 16; ++l) y[o++] = dl * ((sbyte)((x[q + l + 16] >> shift) & 3) - ((x[l + 16] & m) != 0 ? 0 : 4));
                shift += 2;
                m <<= 1;
            }
            q += 32;
        }
    }

    private static void ScaleMinK4(int j, ReadOnlySpan<byte> q, out int d, out int m)
    {
        if (j < 4) { d = q[j] & 63; m = q[j + 4] & 63; }
        else { d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4); m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4); }
    }

    private static void Q4_K(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = H(x, 0), min = H(x, 2);
        var scales = x.Slice(4, 12);
        int q = 16, o = 0, @is = 0;
        for (var j = 0; j < 256; j += 64)
        {
            ScaleMinK4(@is, scales, out var sc, out var m);
            float d1 = d * sc, m1 = min * m;
            ScaleMinK4(@is + 1, scales, out sc, out m);
            float d2 = d * sc, m2 = min * m;
            for (var l = 0; l < 32; ++l) y[o++] = d1 * (x[q + l] & 0xF) - m1;
            for (var l = 0; l < 32; ++l) y[o++] = d2 * (x[q + l] >> 4) - m2;
            q += 32; @is += 2;
        }
    }

    private static void Q5_K(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = H(x, 0), min = H(x, 2);
        var scales = x.Slice(4, 12);
        int ql = 48, o = 0, @is = 0;
        byte u1 = 1, u2 = 2;
        for (var j = 0; j < 256; j += 64)
        {
            ScaleMinK4(@is, scales, out var sc, out var m);
            float d1 = d * sc, m1 = min * m;
            ScaleMinK4(@is + 1, scales, out sc, out m);
            float d2 = d * sc, m2 = min * m;
            for (var l = 0; l < 32; ++l) y[o++] = d1 * ((x[ql + l] & 0xF) + ((x[16 + l] & u1) != 0 ? 16 : 0)) - m1;
            for (var l = 0; l < 32; ++l) y[o++] = d2 * ((x[ql + l] >> 4) + ((x[16 + l] & u2) != 0 ? 16 : 0)) - m2;
            ql += 32; @is += 2;
            u1 <<= 2; u2 <<= 2;
        }
    }

    private static void Q6_K(ReadOnlySpan<byte> x, Span<float> y)
    {
        var d = H(x, 208);
        int ql = 0, qh = 128, sc = 192, o = 0;
        for (var n = 0; n < 256; n += 128)
        {
            for (var l = 0; l < 32; ++l)
            {
                var @is = l / 16;
                var q1 = (sbyte)((x[ql + l] & 0xF) | (((x[qh + l] >> 0) & 3) << 4)) - 32;
                var q2 = (sbyte)((x[ql + l + 32] & 0xF) | (((x[qh + l] >> 2) & 3) << 4)) - 32;
                var q3 = (sbyte)((x[ql + l] >> 4) | (((x[qh + l] >> 4) & 3) << 4)) - 32;
                var q4 = (sbyte)((x[ql + l + 32] >> 4) | (((x[qh + l] >> 6) & 3) << 4)) - 32;
                y[o + l] = d * (sbyte)x[sc + @is] * q1;
                y[o + l + 32] = d * (sbyte)x[sc + @is + 2] * q2;
                y[o + l + 64] = d * (sbyte)x[sc + @is + 4] * q3;
                y[o + l + 96] = d * (sbyte)x[sc + @is + 6] * q4;
            }
            o += 128; ql += 64; qh += 32; sc += 8;
        }
    }

    private static void Iq4Nl(ReadOnlySpan<byte> x, Span<float> y)
    {
        var d = H(x, 0);
        for (var j = 0; j < 16; ++j)
        {
            y[j] = d * KValuesIq4Nl[x[2 + j] & 0xf];
            y[j + 16] = d * KValuesIq4Nl[x[2 + j] >> 4];
        }
    }

    // ggml_e8m0_to_fp32_half: 2^(e - 128), written here through double arithmetic rather than bits
    private static void Mxfp4(ReadOnlySpan<byte> x, Span<float> y)
    {
        var d = (float)Math.Pow(2, x[0] - 128);
        for (var j = 0; j < 16; ++j)
        {
            y[j] = KValuesMxfp4[x[1 + j] & 0x0F] * d;
            y[j + 16] = KValuesMxfp4[x[1 + j] >> 4] * d;
        }
    }

    private static void Iq4Xs(ReadOnlySpan<byte> x, Span<float> y)
    {
        var d = H(x, 0);
        int scalesH = BitConverter.ToUInt16(x[2..]);
        int qs = 8, o = 0;
        for (var ib = 0; ib < 8; ++ib)
        {
            var ls = ((x[4 + ib / 2] >> (4 * (ib % 2))) & 0xf) | (((scalesH >> (2 * ib)) & 3) << 4);
            var dl = d * (ls - 32);
            for (var j = 0; j < 16; ++j)
            {
                y[o + j] = dl * KValuesIq4Nl[x[qs + j] & 0xf];
                y[o + j + 16] = dl * KValuesIq4Nl[x[qs + j] >> 4];
            }
            o += 32; qs += 16;
        }
    }
}
