using System.Runtime.CompilerServices;
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
            S.Store(dst + i, P.Load<S, TF, TI>(src));
        for (; i < count; i++, src += P.ElementBytes)
            dst[i] = P.Load<ScalarLanes, float, int>(src);
    }

    /// <summary>Four dot products of the floats at <paramref name="w"/> with four vectors <paramref name="stride"/> apart,
    /// loading each weight once for all four.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotFloats4<S, TF, TI>(float* w, float* x, nint stride, int count, float* sums)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct
    {
        float* x0 = x, x1 = x + stride, x2 = x + 2 * stride, x3 = x + 3 * stride;
        TF a0 = S.Zero, a1 = S.Zero, a2 = S.Zero, a3 = S.Zero, b0 = S.Zero, b1 = S.Zero, b2 = S.Zero, b3 = S.Zero;
        nint i = 0;
        for (; i <= count - 2 * S.Count; i += 2 * S.Count)
        {
            var v = S.Load(w + i);
            var u = S.Load(w + i + S.Count);
            a0 = S.MultiplyAdd(v, S.Load(x0 + i), a0);
            a1 = S.MultiplyAdd(v, S.Load(x1 + i), a1);
            a2 = S.MultiplyAdd(v, S.Load(x2 + i), a2);
            a3 = S.MultiplyAdd(v, S.Load(x3 + i), a3);
            b0 = S.MultiplyAdd(u, S.Load(x0 + i + S.Count), b0);
            b1 = S.MultiplyAdd(u, S.Load(x1 + i + S.Count), b1);
            b2 = S.MultiplyAdd(u, S.Load(x2 + i + S.Count), b2);
            b3 = S.MultiplyAdd(u, S.Load(x3 + i + S.Count), b3);
        }
        for (; i <= count - S.Count; i += S.Count)
        {
            var v = S.Load(w + i);
            a0 = S.MultiplyAdd(v, S.Load(x0 + i), a0);
            a1 = S.MultiplyAdd(v, S.Load(x1 + i), a1);
            a2 = S.MultiplyAdd(v, S.Load(x2 + i), a2);
            a3 = S.MultiplyAdd(v, S.Load(x3 + i), a3);
        }
        float s0 = S.Sum(S.Add(a0, b0)), s1 = S.Sum(S.Add(a1, b1)), s2 = S.Sum(S.Add(a2, b2)), s3 = S.Sum(S.Add(a3, b3));
        for (; i < count; i++)
        {
            s0 += w[i] * x0[i];
            s1 += w[i] * x1[i];
            s2 += w[i] * x2[i];
            s3 += w[i] * x3[i];
        }
        sums[0] = s0;
        sums[1] = s1;
        sums[2] = s2;
        sums[3] = s3;
    }
}
