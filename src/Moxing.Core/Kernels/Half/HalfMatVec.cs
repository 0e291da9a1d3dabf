using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Moxing.Core.Kernels.Integer;
using Moxing.Core.Kernels.Lanes;
using Moxing.Core.Tensors;

namespace Moxing.Core.Kernels.Half;

/// <summary>
/// F16 and BF16 weight rows times one activation vector without computing each weight's float value: a value's bits moved
/// into the top of a 32-bit lane are a BF16's float exactly, and, shifted into a float's places (<see cref="HalfBits"/>), an
/// F16's times 2^-112 exactly — so the F16 vector is scaled by 2^112 once per product and every product w' · x' is w · x
/// exactly: three vector operations per sixteen weights where widening takes ten. The prepared vector holds the activations
/// in the order the values unpack in (the low and high four of each 128-bit lane). Rows are read four at a time (one
/// activation load serves four rows; four weight streams in flight). F16 rows holding an infinity or NaN take the widening
/// kernel, as do whole F16 products whose vector has a value of 2^16 or more (scaled by 2^112 it would overflow) or a NaN.
/// </summary>
internal static unsafe class HalfMatVec
{
    /// <summary>Prepares <paramref name="x"/> (k values) for <see cref="Rows"/> into this thread's activation buffer; false
    /// when this product cannot take this kernel (not F16 or BF16, no AVX2, or an F16 product with a value the scaling would
    /// overflow).</summary>
    public static bool TryPrepare(DType type, float* x, int k, SimdPath path, out float* prepared)
    {
        prepared = null;
        var halves = Halves(path);
        if (halves == 0 || type is not (DType.F16 or DType.BF16)) return false;
        if (type == DType.F16 && !(MaxMagnitude(x, k) < 65536f)) return false;
        prepared = (float*)ActivationBuffer.Get((long)k * sizeof(float));
        var scale = Vector128.Create(type == DType.F16 ? F16Format.Scale : BF16Format.Scale);
        var whole = k - k % (2 * halves);
        // each 128-bit lane of a load holds eight values: its low four go to the low half of the load's floats, its high four to the high half
        for (var load = 0; load < whole; load += halves)
            for (var lane = 0; lane < halves / 8; lane++)
            {
                (Vector128.Load(x + load + 8 * lane) * scale).Store(prepared + load + 4 * lane);
                (Vector128.Load(x + load + 8 * lane + 4) * scale).Store(prepared + load + halves / 2 + 4 * lane);
            }
        for (var i = whole; i < k; i++)
            prepared[i] = x[i] * scale[0];
        return true;
    }

    /// <summary>y[r] = row r · x for r in [rowStart, rowEnd) of an F16 or BF16 matrix, from <paramref name="prepared"/>
    /// (<see cref="TryPrepare"/>); <paramref name="x"/> is the vector itself, for F16 rows that take the widening kernel.</summary>
    public static void Rows(DType type, byte* w, nint rowBytes, int k, float* prepared, float* x, float* y, int rowStart, int rowEnd, SimdPath path)
    {
        if (type == DType.F16) Rows<F16Format>(w, rowBytes, k, prepared, x, y, rowStart, rowEnd, path);
        else Rows<BF16Format>(w, rowBytes, k, prepared, x, y, rowStart, rowEnd, path);
    }

    private static void Rows<W>(byte* w, nint rowBytes, int k, float* prepared, float* x, float* y, int rowStart, int rowEnd, SimdPath path)
        where W : struct, IWideFormat
    {
        if (path == SimdPath.Avx512)
            Rows<Avx512Lanes, Vector512<float>, Vector512<int>, Avx512HalfWiden, Vector512<ushort>, W>(w, rowBytes, k, prepared, x, y, rowStart, rowEnd, path);
        else
            Rows<Avx2Lanes, Vector256<float>, Vector256<int>, Avx2HalfWiden, Vector256<ushort>, W>(w, rowBytes, k, prepared, x, y, rowStart, rowEnd, path);
    }

    // halves per load of the path's kernel in Rows; 0 where it has none (callers have checked the path is supported)
    private static int Halves(SimdPath path) => path switch
    {
        SimdPath.Avx512 => Avx512HalfWiden.Halves,
        SimdPath.Avx2 => Avx2HalfWiden.Halves,
        _ => 0,
    };

    private static float MaxMagnitude(float* x, int k) =>
        k == 0 ? 0 : MathF.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(new ReadOnlySpan<float>(x, k)));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows<S, TF, TI, H, TH, W>(byte* w, nint rowBytes, int k, float* prepared, float* x, float* y, int rowStart, int rowEnd, SimdPath path)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where H : struct, IHalfWiden<TF, TH> where TH : struct where W : struct, IWideFormat
    {
        var r = rowStart;
        for (; r + 4 <= rowEnd; r += 4)
        {
            var row = w + r * rowBytes;
            Dot4<S, TF, TI, H, TH, W>(row, rowBytes, prepared, k, y + r, out var finite);
            for (var j = 0; j < 4; j++)
                if ((finite & (1 << j)) == 0) y[r + j] = RowKernel.For(DType.F16, path).Dot(row + j * rowBytes, x, k);
        }
        for (; r < rowEnd; r++)
        {
            var row = w + r * rowBytes;
            var dot = Dot<S, TF, TI, H, TH, W>(row, prepared, k, out var finite);
            y[r] = finite ? dot : RowKernel.For(DType.F16, path).Dot(row, x, k);
        }
    }

    // Four rows at once: each activation load serves four rows, and four streams of weights are in flight (one row at a time
    // left a thread's reads at ~75 % of what its memory gives one stream). Bit j of finite says row j took no infinity or NaN.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4<S, TF, TI, H, TH, W>(byte* row, nint rowBytes, float* xs, int k, float* y, out int finite)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where H : struct, IHalfWiden<TF, TH> where TH : struct where W : struct, IWideFormat
    {
        var step = H.Halves;
        TH m0 = H.NoMagnitudes, m1 = H.NoMagnitudes, m2 = H.NoMagnitudes, m3 = H.NoMagnitudes;
        TF a0 = S.Zero, a1 = S.Zero, a2 = S.Zero, a3 = S.Zero, b0 = S.Zero, b1 = S.Zero, b2 = S.Zero, b3 = S.Zero;
        byte* r0 = row, r1 = row + rowBytes, r2 = row + 2 * rowBytes, r3 = row + 3 * rowBytes;
        // the next group's rows, as far ahead as this group is long
        var ahead = 4 * rowBytes;
        // TryPrepare orders the activations as the halves unpack only up to a multiple of two loads
        var whole = k - k % (2 * step);
        var i = 0;
        for (; i < whole; i += step)
        {
            nint o = 2 * i;
            Prefetch.Lines(r0 + o + ahead, 2 * step);
            Prefetch.Lines(r1 + o + ahead, 2 * step);
            Prefetch.Lines(r2 + o + ahead, 2 * step);
            Prefetch.Lines(r3 + o + ahead, 2 * step);
            TF xl = S.Load(xs + i), xh = S.Load(xs + i + step / 2);
            H.Widen<W>(r0 + o, ref m0, out var low, out var high);
            a0 = S.MultiplyAdd(low, xl, a0);
            b0 = S.MultiplyAdd(high, xh, b0);
            H.Widen<W>(r1 + o, ref m1, out low, out high);
            a1 = S.MultiplyAdd(low, xl, a1);
            b1 = S.MultiplyAdd(high, xh, b1);
            H.Widen<W>(r2 + o, ref m2, out low, out high);
            a2 = S.MultiplyAdd(low, xl, a2);
            b2 = S.MultiplyAdd(high, xh, b2);
            H.Widen<W>(r3 + o, ref m3, out low, out high);
            a3 = S.MultiplyAdd(low, xl, a3);
            b3 = S.MultiplyAdd(high, xh, b3);
        }
        y[0] = S.Sum(S.Add(a0, b0)) + Tail<W>(r0, xs, i, k, out var f0);
        y[1] = S.Sum(S.Add(a1, b1)) + Tail<W>(r1, xs, i, k, out var f1);
        y[2] = S.Sum(S.Add(a2, b2)) + Tail<W>(r2, xs, i, k, out var f2);
        y[3] = S.Sum(S.Add(a3, b3)) + Tail<W>(r3, xs, i, k, out var f3);
        finite = (f0 && H.Finite(m0) ? 1 : 0) | (f1 && H.Finite(m1) ? 2 : 0) | (f2 && H.Finite(m2) ? 4 : 0) | (f3 && H.Finite(m3) ? 8 : 0);
    }

    // The weights of a row from i on, one at a time; finite false when a checked format's weight is an infinity or NaN.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tail<W>(byte* row, float* xs, int i, int k, out bool finite) where W : struct, IWideFormat
    {
        var sum = 0f;
        finite = true;
        for (; i < k; i++)
        {
            var half = *(ushort*)(row + 2 * i);
            finite &= !W.Checked || (half & HalfBits.Magnitude) < HalfBits.InfinityBits;
            sum += W.Place(half) * xs[i];
        }
        return sum;
    }

    // One row, in the order of Dot4's (so a row gives the same bits whichever of the two reads it).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot<S, TF, TI, H, TH, W>(byte* row, float* xs, int k, out bool finite)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where H : struct, IHalfWiden<TF, TH> where TH : struct where W : struct, IWideFormat
    {
        var step = H.Halves;
        var magnitudes = H.NoMagnitudes;
        TF a = S.Zero, b = S.Zero;
        var whole = k - k % (2 * step);
        var i = 0;
        for (; i < whole; i += step)
        {
            nint o = 2 * i;
            Prefetch.Lines(row + o + Prefetch.Distance, 2 * step);
            H.Widen<W>(row + o, ref magnitudes, out var low, out var high);
            a = S.MultiplyAdd(low, S.Load(xs + i), a);
            b = S.MultiplyAdd(high, S.Load(xs + i + step / 2), b);
        }
        var sum = S.Sum(S.Add(a, b)) + Tail<W>(row, xs, i, k, out finite);
        finite &= H.Finite(magnitudes);
        return sum;
    }
}
