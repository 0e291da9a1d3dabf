using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Moxing.Core.Kernels.Integer;
using Moxing.Core.Kernels.Lanes;
using Moxing.Core.Tensors;

namespace Moxing.Core.Kernels.Half;

/// <summary>
/// F16 and BF16 weight rows times one activation vector without computing each weight's float value: a value's bits shifted
/// into the top of a 32-bit lane are a BF16's float exactly, and, moved into a float's places (<see cref="HalfBits"/>), an
/// F16's times 2^-112 exactly — so the F16 vector is scaled by 2^112 once per product and every product w' · x' is w · x
/// exactly. Each row sums in the order every float product of several vectors does (<see cref="MatMul"/>'s shared decode:
/// chunks of <see cref="MatMul.ChunkElements"/>, one lane vector accumulator per chunk, the lanes' add tree, the chunk's last
/// elements one at a time, the chunks' sums in turn), so a vector's products are the same bits alone or in a batch. Rows are
/// read four at a time (one activation load serves four rows; four weight streams in flight). F16 rows holding an infinity or
/// NaN are widened in the same order, as are whole F16 products whose vector has a value of 2^16 or more (scaled by 2^112 it
/// would overflow) or a NaN.
/// </summary>
internal static unsafe class HalfMatVec
{
    /// <summary>Prepares <paramref name="x"/> (<paramref name="count"/> values: one vector or several in a row) for <see cref="Rows"/> and
    /// <see cref="HalfMatMul.Rows"/>: an F16 product's vectors scaled into this thread's activation buffer, a BF16 product's as they
    /// are; false when this product cannot take these kernels (not F16 or BF16, no AVX2, or an F16 product with a value the
    /// scaling would overflow).</summary>
    public static bool TryPrepare(DType type, float* x, long count, SimdPath path, out float* prepared)
    {
        prepared = null;
        if (path < SimdPath.Avx2 || type is not (DType.F16 or DType.BF16)) return false;
        if (type == DType.BF16)
        {
            prepared = x;
            return true;
        }
        var values = new ReadOnlySpan<float>(x, checked((int)count));
        if (!(count == 0 || MathF.Abs(TensorPrimitives.MaxMagnitude(values)) < 65536f)) return false;
        prepared = (float*)ActivationBuffer.Get(count * sizeof(float));
        TensorPrimitives.Multiply(values, HalfBits.Rebias, new Span<float>(prepared, values.Length));
        return true;
    }

    /// <summary>y[r] = row r · x for r in [rowStart, rowEnd) of an F16 or BF16 matrix, from <paramref name="prepared"/>
    /// (<see cref="TryPrepare"/>); <paramref name="x"/> is the vector itself, for F16 rows that are widened.</summary>
    public static void Rows(DType type, byte* w, nint rowBytes, int k, float* prepared, float* x, float* y, int rowStart, int rowEnd, SimdPath path)
    {
        if (type == DType.F16) Rows<F16Format>(w, rowBytes, k, prepared, x, y, rowStart, rowEnd, path);
        else Rows<BF16Format>(w, rowBytes, k, prepared, x, y, rowStart, rowEnd, path);
    }

    private static void Rows<W>(byte* w, nint rowBytes, int k, float* prepared, float* x, float* y, int rowStart, int rowEnd, SimdPath path)
        where W : struct, IWideFormat
    {
        if (path == SimdPath.Avx512)
            Rows<Avx512Lanes, Vector512<float>, Vector512<int>, Avx512HalfWiden, W>(w, rowBytes, k, prepared, x, y, rowStart, rowEnd, path);
        else
            Rows<Avx2Lanes, Vector256<float>, Vector256<int>, Avx2HalfWiden, W>(w, rowBytes, k, prepared, x, y, rowStart, rowEnd, path);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows<S, TF, TI, H, W>(byte* w, nint rowBytes, int k, float* prepared, float* x, float* y, int rowStart, int rowEnd, SimdPath path)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where H : struct, IHalfWiden<TF, TI> where W : struct, IWideFormat
    {
        var r = rowStart;
        for (; r + 4 <= rowEnd; r += 4)
        {
            Dot4<S, TF, TI, H, W>(w + r * rowBytes, rowBytes, prepared, k, y + r, out var finite);
            for (var j = 0; j < 4; j++)
                if ((finite & (1 << j)) == 0) MatMul.WidenedRows(DType.F16, w, rowBytes, k, x, y, r + j, r + j + 1, path);
        }
        // the last rows alone, each read four times over (a row's lane sums do not depend on the others'), one result kept
        var single = stackalloc float[4];
        for (; r < rowEnd; r++)
        {
            Dot4<S, TF, TI, H, W>(w + r * rowBytes, 0, prepared, k, single, out var finite);
            y[r] = single[0];
            if ((finite & 1) == 0) MatMul.WidenedRows(DType.F16, w, rowBytes, k, x, y, r, r + 1, path);
        }
    }

    // Four rows rowBytes apart times the prepared vector into y[0..3], in the shared decode's order. Bit j of finite says row j
    // took no infinity or NaN (a checked format's).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4<S, TF, TI, H, W>(byte* row, nint rowBytes, float* xs, int k, float* y, out int finite)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where H : struct, IHalfWiden<TF, TI> where W : struct, IWideFormat
    {
        var lanes = S.Count;
        TI m0 = H.NoMagnitudes, m1 = H.NoMagnitudes, m2 = H.NoMagnitudes, m3 = H.NoMagnitudes;
        byte* r0 = row, r1 = row + rowBytes, r2 = row + 2 * rowBytes, r3 = row + 3 * rowBytes;
        // the next group's rows, as far ahead as this group is long (a row read four times over looks a page ahead)
        var ahead = rowBytes == 0 ? Prefetch.Distance : 4 * rowBytes;
        bool t0 = true, t1 = true, t2 = true, t3 = true;
        for (var c = 0; c < k; c += MatMul.ChunkElements)
        {
            var end = Math.Min(k, c + MatMul.ChunkElements);
            TF a0 = S.Zero, a1 = S.Zero, a2 = S.Zero, a3 = S.Zero;
            var i = c;
            // two lane vectors a row per pass, added one after the other (the order of one at a time)
            for (; i + 2 * lanes <= end; i += 2 * lanes)
            {
                nint o = 2 * i, p = o + 2 * lanes;
                Prefetch.Lines(r0 + o + ahead, 4 * lanes);
                Prefetch.Lines(r1 + o + ahead, 4 * lanes);
                Prefetch.Lines(r2 + o + ahead, 4 * lanes);
                Prefetch.Lines(r3 + o + ahead, 4 * lanes);
                TF x0 = S.Load(xs + i), x1 = S.Load(xs + i + lanes);
                a0 = S.MultiplyAdd(H.Widen<W>(r0 + o, ref m0), x0, a0);
                a1 = S.MultiplyAdd(H.Widen<W>(r1 + o, ref m1), x0, a1);
                a2 = S.MultiplyAdd(H.Widen<W>(r2 + o, ref m2), x0, a2);
                a3 = S.MultiplyAdd(H.Widen<W>(r3 + o, ref m3), x0, a3);
                a0 = S.MultiplyAdd(H.Widen<W>(r0 + p, ref m0), x1, a0);
                a1 = S.MultiplyAdd(H.Widen<W>(r1 + p, ref m1), x1, a1);
                a2 = S.MultiplyAdd(H.Widen<W>(r2 + p, ref m2), x1, a2);
                a3 = S.MultiplyAdd(H.Widen<W>(r3 + p, ref m3), x1, a3);
            }
            for (; i + lanes <= end; i += lanes)
            {
                nint o = 2 * i;
                var xv = S.Load(xs + i);
                a0 = S.MultiplyAdd(H.Widen<W>(r0 + o, ref m0), xv, a0);
                a1 = S.MultiplyAdd(H.Widen<W>(r1 + o, ref m1), xv, a1);
                a2 = S.MultiplyAdd(H.Widen<W>(r2 + o, ref m2), xv, a2);
                a3 = S.MultiplyAdd(H.Widen<W>(r3 + o, ref m3), xv, a3);
            }
            var sums = S.Sum4(a0, a1, a2, a3);
            var first = c == 0;
            y[0] = Tail<W>(r0, xs, i, end, sums.GetElement(0), first ? 0 : y[0], first, ref t0);
            y[1] = Tail<W>(r1, xs, i, end, sums.GetElement(1), first ? 0 : y[1], first, ref t1);
            y[2] = Tail<W>(r2, xs, i, end, sums.GetElement(2), first ? 0 : y[2], first, ref t2);
            y[3] = Tail<W>(r3, xs, i, end, sums.GetElement(3), first ? 0 : y[3], first, ref t3);
        }
        if (k == 0) y[0] = y[1] = y[2] = y[3] = 0;
        finite = (t0 && H.Finite(m0) ? 1 : 0) | (t1 && H.Finite(m1) ? 2 : 0) | (t2 && H.Finite(m2) ? 4 : 0) | (t3 && H.Finite(m3) ? 8 : 0);
    }

    // A chunk's lane sum plus the row's weights from i to end, one at a time, added to the running total unless first; finite
    // turns false when a checked format's weight there is an infinity or NaN.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tail<W>(byte* row, float* xs, int i, int end, float sum, float total, bool first, ref bool finite) where W : struct, IWideFormat
    {
        for (; i < end; i++)
        {
            var half = *(ushort*)(row + 2 * i);
            finite &= !W.Checked || (half & HalfBits.Magnitude) < HalfBits.InfinityBits;
            sum += W.Place(half) * xs[i];
        }
        return first ? sum : total + sum;
    }
}
