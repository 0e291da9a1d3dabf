using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Moxing.Core.Kernels.Integer;
using Moxing.Core.Kernels.Lanes;
using Moxing.Core.Tensors;

namespace Moxing.Core.Kernels.Half;

/// <summary>
/// F16 weight rows times one activation vector without computing each weight's float value: a half's bits moved into a
/// float's places (<see cref="HalfBits"/>) read as w · 2^-112 exactly, so the vector is scaled by 2^112 once per product
/// and every product w' · x' is w · x exactly — three vector operations per sixteen weights where widening takes ten.
/// The prepared vector holds the activations in the order the halves unpack in (the low and high four of each 128-bit
/// lane). Rows holding an infinity or NaN take the widening kernel, as do whole products whose vector has a value of
/// 2^16 or more (scaled by 2^112 it would overflow) or a NaN.
/// </summary>
internal static unsafe class HalfMatVec
{
    /// <summary>Prepares <paramref name="x"/> (k values) for <see cref="Rows"/> into this thread's activation buffer; false
    /// when this product cannot take this kernel (not F16, no AVX2, or a value the scaling would overflow).</summary>
    public static bool TryPrepare(DType type, float* x, int k, SimdPath path, out float* prepared)
    {
        prepared = null;
        var halves = Halves(path);
        if (type != DType.F16 || halves == 0 || !(MaxMagnitude(x, k) < 65536f)) return false;
        prepared = (float*)ActivationBuffer.Get((long)k * sizeof(float));
        var scale = Vector128.Create(HalfBits.Rebias);
        var whole = k - k % (2 * halves);
        // each 128-bit lane of a load holds eight halves: its low four go to the low half of the load's floats, its high four to the high half
        for (var load = 0; load < whole; load += halves)
            for (var lane = 0; lane < halves / 8; lane++)
            {
                (Vector128.Load(x + load + 8 * lane) * scale).Store(prepared + load + 4 * lane);
                (Vector128.Load(x + load + 8 * lane + 4) * scale).Store(prepared + load + halves / 2 + 4 * lane);
            }
        for (var i = whole; i < k; i++)
            prepared[i] = x[i] * HalfBits.Rebias;
        return true;
    }

    /// <summary>y[r] = row r · x for r in [rowStart, rowEnd), from <paramref name="prepared"/> (<see cref="TryPrepare"/>);
    /// <paramref name="x"/> is the vector itself, for rows that take the widening kernel.</summary>
    public static void Rows(byte* w, nint rowBytes, int k, float* prepared, float* x, float* y, int rowStart, int rowEnd, SimdPath path)
    {
        if (path == SimdPath.Avx512)
            Rows<Avx512Lanes, Vector512<float>, Vector512<int>, Avx512HalfWiden, Vector512<ushort>>(w, rowBytes, k, prepared, x, y, rowStart, rowEnd, path);
        else
            Rows<Avx2Lanes, Vector256<float>, Vector256<int>, Avx2HalfWiden, Vector256<ushort>>(w, rowBytes, k, prepared, x, y, rowStart, rowEnd, path);
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
    private static void Rows<S, TF, TI, H, TH>(byte* w, nint rowBytes, int k, float* prepared, float* x, float* y, int rowStart, int rowEnd, SimdPath path)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where H : struct, IHalfWiden<TF, TH> where TH : struct
    {
        for (var r = rowStart; r < rowEnd; r++)
        {
            var row = w + r * rowBytes;
            var dot = Dot<S, TF, TI, H, TH>(row, prepared, k, out var finite);
            y[r] = finite ? dot : RowKernel.For(DType.F16, path).Dot(row, x, k);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot<S, TF, TI, H, TH>(byte* row, float* xs, int k, out bool finite)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where H : struct, IHalfWiden<TF, TH> where TH : struct
    {
        var step = 2 * H.Halves;
        var magnitudes = H.NoMagnitudes;
        TF a0 = S.Zero, a1 = S.Zero, a2 = S.Zero, a3 = S.Zero;
        var i = 0;
        for (; i <= k - step; i += step, row += 2 * step)
        {
            Prefetch.Lines(row + Prefetch.Distance, 2 * step);
            H.Widen(row, ref magnitudes, out var low, out var high);
            a0 = S.MultiplyAdd(low, S.Load(xs + i), a0);
            a1 = S.MultiplyAdd(high, S.Load(xs + i + H.Halves / 2), a1);
            H.Widen(row + 2 * H.Halves, ref magnitudes, out low, out high);
            a2 = S.MultiplyAdd(low, S.Load(xs + i + H.Halves), a2);
            a3 = S.MultiplyAdd(high, S.Load(xs + i + 3 * H.Halves / 2), a3);
        }
        var sum = S.Sum(S.Add(S.Add(a0, a1), S.Add(a2, a3)));
        finite = H.Finite(magnitudes);
        for (; i < k; i++, row += 2)
        {
            var half = *(ushort*)row;
            finite &= (half & HalfBits.Magnitude) < HalfBits.InfinityBits;
            sum += HalfBits.Place(half) * xs[i];
        }
        return sum;
    }
}
