using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Moxing.Core.Kernels.Lanes;
using Moxing.Core.Tensors;

namespace Moxing.Core.Kernels.Half;

/// <summary>
/// F16 and BF16 weight rows times several activation vectors: <see cref="MatMul"/>'s shared decode (each chunk of four rows
/// decoded once into floats, then multiplied into every vector) with the rows decoded by placement — F16 values as floats of
/// value half · 2^-112 against vectors prepared by <see cref="HalfMatVec.TryPrepare"/> (scaled by 2^112), BF16 values as they
/// are. Every product w' · x' is w · x exactly, so the sums are the bits of the widened weights' and of
/// <see cref="HalfMatVec"/>'s: a vector's products do not depend on how many share the step. Placing an F16 lane takes three
/// integer operations where widening it takes ten; the infinities and NaNs placement gets wrong are put back one at a time in
/// the rare chunks that hold one.
/// </summary>
internal static unsafe class HalfMatMul
{
    /// <summary>y[t, r] for t &lt; <paramref name="n"/> and r in [<paramref name="rowStart"/>, <paramref name="rowEnd"/>) of an F16 or
    /// BF16 matrix, from <paramref name="prepared"/> (n vectors of k, <see cref="HalfMatVec.TryPrepare"/>); y is [n, rows].</summary>
    public static void Rows(DType type, byte* w, nint rowBytes, int k, float* prepared, int n, float* y, int rows, int rowStart, int rowEnd, SimdPath path)
    {
        var kernel = type == DType.BF16 ? RowKernel.For(DType.BF16, path) : path == SimdPath.Avx512 ? Avx512Placed : Avx2Placed;
        MatMul.SharedDecode(kernel, false, path, w, rowBytes, k, prepared, k, n, y, rows, rowStart, rowEnd);
    }

    // the shared decode reads only a kernel's decoder and unit sizes; the dot product is the plain F16 one for completeness
    private static readonly RowKernel Avx2Placed = new(RowKernel.For(DType.F16, SimdPath.Scalar).Dot,
        &Place<Avx2Lanes, Vector256<float>, Vector256<int>, Avx2HalfWiden>, 1, sizeof(ushort));

    private static readonly RowKernel Avx512Placed = new(RowKernel.For(DType.F16, SimdPath.Scalar).Dot,
        &Place<Avx512Lanes, Vector512<float>, Vector512<int>, Avx512HalfWiden>, 1, sizeof(ushort));

    // Places count halves at src as floats at dst (value half · 2^-112), a cache line of halves a pass with the next page's asked for.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Place<S, TF, TI, H>(byte* src, float* dst, int count)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where H : struct, IHalfWiden<TF, TI>
    {
        var lanes = S.Count;
        var magnitudes = H.NoMagnitudes;
        var i = 0;
        for (; i + 4 * lanes <= count; i += 4 * lanes)
        {
            var p = src + 2 * i;
            Prefetch.Lines(p + Prefetch.Distance, 8 * lanes);
            S.Store(dst + i, H.Widen<F16Format>(p, ref magnitudes));
            S.Store(dst + i + lanes, H.Widen<F16Format>(p + 2 * lanes, ref magnitudes));
            S.Store(dst + i + 2 * lanes, H.Widen<F16Format>(p + 4 * lanes, ref magnitudes));
            S.Store(dst + i + 3 * lanes, H.Widen<F16Format>(p + 6 * lanes, ref magnitudes));
        }
        for (; i + lanes <= count; i += lanes)
            S.Store(dst + i, H.Widen<F16Format>(src + 2 * i, ref magnitudes));
        var halves = (ushort*)src;
        var finite = H.Finite(magnitudes);
        for (; i < count; i++)
        {
            finite &= (halves[i] & HalfBits.Magnitude) < HalfBits.InfinityBits;
            dst[i] = HalfBits.Place(halves[i]);
        }
        if (finite) return;
        // an infinity or NaN placed is a large finite float: the value itself instead (times 2^-112 it is what it was)
        for (var j = 0; j < count; j++)
            if ((halves[j] & HalfBits.Magnitude) >= HalfBits.InfinityBits) dst[j] = (float)BitConverter.UInt16BitsToHalf(halves[j]);
    }
}
