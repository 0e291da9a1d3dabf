using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Moxing.Core.Kernels.Integer;
using Moxing.Core.Kernels.Lanes;
using Moxing.Core.Quantization.Blocks;

namespace Moxing.Core.Kernels;

/// <summary>The row loops shared by every format: dot product and dequantization, for block and plain formats.</summary>
/// <remarks>Each is instantiated per format and per instruction set; the format's decoder inlines into the loop so
/// the accumulators stay in registers. They are compiled fully optimised at once: the unoptimised first tier does not
/// inline the lane operations and runs tens of times slower, for long enough to matter when a model starts.</remarks>
internal static unsafe class FormatKernels
{
    /// <summary>Dot product of <paramref name="blocks"/> blocks at <paramref name="row"/> with the floats at <paramref name="x"/>.</summary>
    /// <remarks>Even and odd blocks go to separate sinks: twice the accumulators, so short blocks (Q8_0's four vectors)
    /// are not held up by the latency of one FMA chain.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotBlocks<F, S, TF, TI>(byte* row, float* x, int blocks)
        where F : struct, IBlockFormat where S : struct, ILanes<TF, TI> where TF : struct where TI : struct
    {
        var even = new DotSink<S, TF, TI>(x);
        var odd = new DotSink<S, TF, TI>(x + F.BlockSize);
        var b = 0;
        for (; b + 2 <= blocks; b += 2)
        {
            F.Decode<S, TF, TI, DotSink<S, TF, TI>>(row, ref even);
            F.Decode<S, TF, TI, DotSink<S, TF, TI>>(row + F.BlockBytes, ref odd);
            row += 2 * F.BlockBytes;
            even.X += 2 * F.BlockSize;
            odd.X += 2 * F.BlockSize;
        }
        if (b < blocks) F.Decode<S, TF, TI, DotSink<S, TF, TI>>(row, ref even);
        return even.Total + odd.Total;
    }

    /// <summary>Decodes <paramref name="blocks"/> blocks at <paramref name="src"/> into <paramref name="dst"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DequantizeBlocks<F, S, TF, TI>(byte* src, float* dst, int blocks)
        where F : struct, IBlockFormat where S : struct, ILanes<TF, TI> where TF : struct where TI : struct
    {
        var sink = new StoreSink<S, TF, TI>(dst);
        for (var b = 0; b < blocks; b++)
        {
            F.Decode<S, TF, TI, StoreSink<S, TF, TI>>(src, ref sink);
            src += F.BlockBytes;
            sink.Dst += F.BlockSize;
        }
    }

    /// <summary>Dot product of <paramref name="count"/> plain elements with the floats at <paramref name="x"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotPlain<P, S, TF, TI>(byte* row, float* x, int count)
        where P : struct, IPlainFormat where S : struct, ILanes<TF, TI> where TF : struct where TI : struct
    {
        var step = S.Count * P.ElementBytes;
        TF a0 = S.Zero, a1 = S.Zero, a2 = S.Zero, a3 = S.Zero;
        var i = 0;
        for (; i <= count - 4 * S.Count; i += 4 * S.Count, row += 4 * step)
        {
            Prefetch.Lines(row + Prefetch.Distance, 4 * step);
            a0 = S.MultiplyAdd(P.Load<S, TF, TI>(row), S.Load(x + i), a0);
            a1 = S.MultiplyAdd(P.Load<S, TF, TI>(row + step), S.Load(x + i + S.Count), a1);
            a2 = S.MultiplyAdd(P.Load<S, TF, TI>(row + 2 * step), S.Load(x + i + 2 * S.Count), a2);
            a3 = S.MultiplyAdd(P.Load<S, TF, TI>(row + 3 * step), S.Load(x + i + 3 * S.Count), a3);
        }
        for (; i <= count - S.Count; i += S.Count, row += step)
            a0 = S.MultiplyAdd(P.Load<S, TF, TI>(row), S.Load(x + i), a0);
        var sum = S.Sum(S.Add(S.Add(a0, a1), S.Add(a2, a3)));
        for (; i < count; i++, row += P.ElementBytes)
            sum += P.Load<ScalarLanes, float, int>(row) * x[i];
        return sum;
    }

    /// <summary>Widens <paramref name="count"/> plain elements at <paramref name="src"/> into <paramref name="dst"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DequantizePlain<P, S, TF, TI>(byte* src, float* dst, int count)
        where P : struct, IPlainFormat where S : struct, ILanes<TF, TI> where TF : struct where TI : struct
    {
        var step = S.Count * P.ElementBytes;
        var i = 0;
        for (; i <= count - S.Count; i += S.Count, src += step)
        {
            Prefetch.Lines(src + Prefetch.Distance, step);
            S.Store(dst + i, P.Load<S, TF, TI>(src));
        }
        for (; i < count; i++, src += P.ElementBytes)
            dst[i] = P.Load<ScalarLanes, float, int>(src);
    }

    /// <summary>Four dot products of the floats at <paramref name="w"/> (one weight row) with four vectors <paramref name="stride"/>
    /// apart, loading each weight once for all four; vector t's product goes to (or, unless <paramref name="first"/>, is added to)
    /// y[t · yStride]. Summed in the order of <see cref="DotFloats4x4"/>, so a row gets the same result whichever of the two computes it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotFloats4<S, TF, TI>(float* w, float* x, nint stride, int count, float* y, nint yStride, bool first)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct
    {
        float* x0 = x, x1 = x + stride, x2 = x + 2 * stride, x3 = x + 3 * stride;
        TF a0 = S.Zero, a1 = S.Zero, a2 = S.Zero, a3 = S.Zero;
        nint i = 0;
        for (; i <= count - S.Count; i += S.Count)
        {
            var v = S.Load(w + i);
            a0 = S.MultiplyAdd(v, S.Load(x0 + i), a0);
            a1 = S.MultiplyAdd(v, S.Load(x1 + i), a1);
            a2 = S.MultiplyAdd(v, S.Load(x2 + i), a2);
            a3 = S.MultiplyAdd(v, S.Load(x3 + i), a3);
        }
        var sums = S.Sum4(a0, a1, a2, a3);
        for (var t = 0; t < 4; t++)
        {
            var sum = sums.GetElement(t);
            for (var j = i; j < count; j++) sum += w[j] * x[t * stride + j];
            y[t * yStride] = first ? sum : y[t * yStride] + sum;
        }
    }

    /// <summary>Sixteen dot products: four weight rows <paramref name="wStride"/> floats apart times four vectors <paramref name="xStride"/>
    /// apart; vector t's products with the four rows go to (or, unless <paramref name="first"/>, are added to) y[t · yStride + 0..3].
    /// Each loaded weight serves four vectors and each loaded activation four rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotFloats4x4<S, TF, TI>(float* w, nint wStride, float* x, nint xStride, int count, float* y, nint yStride, bool first)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct =>
        DotFloatsTile<S, TF, TI, Four>(w, wStride, x, xStride, count, y, yStride, first);

    /// <summary><see cref="DotFloats4x4"/> as two passes of four rows times two vectors, the same sums in the same order: sixteen
    /// accumulators, four rows and a vector need 21 registers, and where an instruction set has 16 (AVX2, SSE) the spilled
    /// accumulators' stores and reloads chain every step (F16 prefill ran at half the FMA rate on Zen 3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotFloats4x4InPairs<S, TF, TI>(float* w, nint wStride, float* x, nint xStride, int count, float* y, nint yStride, bool first)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct
    {
        DotFloatsTile<S, TF, TI, Two>(w, wStride, x, xStride, count, y, yStride, first);
        DotFloatsTile<S, TF, TI, Two>(w, wStride, x + 2 * xStride, xStride, count, y + 2 * yStride, yStride, first);
    }

    // Four rows times G (2 or 4) vectors, each (row, vector) summed in one order whatever G: with G = 2 the other
    // accumulators are never read, so eight accumulators, four rows and a vector fit 16 registers.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DotFloatsTile<S, TF, TI, G>(float* w, nint wStride, float* x, nint xStride, int count, float* y, nint yStride, bool first)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where G : struct, ICount
    {
        float* w0 = w, w1 = w + wStride, w2 = w + 2 * wStride, w3 = w + 3 * wStride;
        float* x0 = x, x1 = x + xStride, x2 = x + 2 * xStride, x3 = x + 3 * xStride;
        TF a00 = S.Zero, a01 = S.Zero, a02 = S.Zero, a03 = S.Zero, a10 = S.Zero, a11 = S.Zero, a12 = S.Zero, a13 = S.Zero;
        TF a20 = S.Zero, a21 = S.Zero, a22 = S.Zero, a23 = S.Zero, a30 = S.Zero, a31 = S.Zero, a32 = S.Zero, a33 = S.Zero;
        nint i = 0;
        for (; i <= count - S.Count; i += S.Count)
        {
            TF v0 = S.Load(w0 + i), v1 = S.Load(w1 + i), v2 = S.Load(w2 + i), v3 = S.Load(w3 + i);
            var u = S.Load(x0 + i);
            a00 = S.MultiplyAdd(v0, u, a00); a10 = S.MultiplyAdd(v1, u, a10); a20 = S.MultiplyAdd(v2, u, a20); a30 = S.MultiplyAdd(v3, u, a30);
            u = S.Load(x1 + i);
            a01 = S.MultiplyAdd(v0, u, a01); a11 = S.MultiplyAdd(v1, u, a11); a21 = S.MultiplyAdd(v2, u, a21); a31 = S.MultiplyAdd(v3, u, a31);
            if (G.Count > 2)
            {
                u = S.Load(x2 + i);
                a02 = S.MultiplyAdd(v0, u, a02); a12 = S.MultiplyAdd(v1, u, a12); a22 = S.MultiplyAdd(v2, u, a22); a32 = S.MultiplyAdd(v3, u, a32);
                u = S.Load(x3 + i);
                a03 = S.MultiplyAdd(v0, u, a03); a13 = S.MultiplyAdd(v1, u, a13); a23 = S.MultiplyAdd(v2, u, a23); a33 = S.MultiplyAdd(v3, u, a33);
            }
        }
        var tail = i < count;
        Store(S.Sum4(a00, a10, a20, a30), w, wStride, x0, i, count, tail, y, first);
        Store(S.Sum4(a01, a11, a21, a31), w, wStride, x1, i, count, tail, y + yStride, first);
        if (G.Count <= 2) return;
        Store(S.Sum4(a02, a12, a22, a32), w, wStride, x2, i, count, tail, y + 2 * yStride, first);
        Store(S.Sum4(a03, a13, a23, a33), w, wStride, x3, i, count, tail, y + 3 * yStride, first);
    }

    // One vector's sums with four rows, plus the elements past the last whole lane vector, into y[0..3].
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector128<float> sums, float* w, nint wStride, float* x, nint i, int count, bool tail, float* y, bool first)
    {
        if (tail)
            for (var r = 0; r < 4; r++)
            {
                var sum = sums.GetElement(r);
                for (var j = i; j < count; j++) sum += w[r * wStride + j] * x[j];
                sums = sums.WithElement(r, sum);
            }
        Vector128.Store(first ? sums : sums + Vector128.Load(y), y);
    }
}
