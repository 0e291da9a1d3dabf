using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Moxing.Core.Kernels.Lanes;
using Moxing.Core.Quantization.Blocks;

namespace Moxing.Core.Kernels.Integer;

/// <summary>
/// Products of the lattice i-quants (<see cref="IGridBlock{TSelf}"/>) with rows of Q8_K activations, for fewer activation rows
/// than pay for panels. As ggml's AVX2 kernels: each group's code magnitudes come from the grid table and its signs from a
/// table of byte masks that negate the activations (no sign arithmetic on the codes), one multiply-add by the group's two
/// half scales, and one float step per super-block (<see cref="IntegerKernels.Step"/>). The loops over groups stay loops: each kernel is its own compilation,
/// small enough that the JIT inlines every table read (unrolled, the grid decoding exhausted its inlining budget).
/// </summary>
internal static unsafe class GridKernels
{
    /// <summary>y[t, r] for t &lt; n, r in [rowStart, rowEnd); x holds n rows of Q8_K blocks, xStride bytes apart.</summary>
    public static void Rows<F, L, TB, TS, TF>(byte* w, nint rowBytes, int blocks, byte* x, nint xStride, int n, float* y, int rows, int rowStart, int rowEnd)
        where F : struct, IGridBlock<F> where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        IntegerKernels.Bands(&Decode<F, L, TB, TS, TF>, &Tokens4<F, L, TB, TS, TF>, w, rowBytes, blocks, x, xStride, n, y, rows, rowStart, rowEnd);

    // One activation row: weight rows in pairs that share every activation load (an odd last row pairs with itself).
    private static void Decode<F, L, TB, TS, TF>(byte* w, nint rowBytes, int blocks, byte* x, float* y, int rowStart, int rowEnd)
        where F : struct, IGridBlock<F> where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var r = rowStart;
        for (; r + 2 <= rowEnd; r += 2)
            IntegerKernels.Store<Two>(Pair<F, L, TB, TS, TF>(w + r * rowBytes, w + (r + 1) * rowBytes, blocks, x), y + r, 1);
        if (r < rowEnd)
            y[r] = Pair<F, L, TB, TS, TF>(w + r * rowBytes, w + r * rowBytes, blocks, x).ToScalar();
    }

    // Rows a and b into lanes 0 and 1.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector128<float> Pair<F, L, TB, TS, TF>(byte* a, byte* b, int blocks, byte* x)
        where F : struct, IGridBlock<F> where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var acc = Vector128<float>.Zero;
        for (var i = 0; i < blocks; i++, a += F.BlockBytes, b += F.BlockBytes, x += ActivationBlocks.Q8KBytes)
        {
            Prefetch.Lines(a + Prefetch.Distance, F.BlockBytes);
            Prefetch.Lines(b + Prefetch.Distance, F.BlockBytes);
            var q = x + ActivationBlocks.Q8KCodes;
            TS sa = L.Zero, sb = L.Zero;
            for (var ib = 0; ib < 8; ib++, q += 32)
            {
                Codes<F, L, TB, TS, TF>(a, ib, out var ua, out var na, out var ma);
                Codes<F, L, TB, TS, TF>(b, ib, out var ub, out var nb, out var mb);
                var xs = L.Load(q);
                sa = Dot<F, L, TB, TS, TF>(ua, na, ma, xs, sa);
                sb = Dot<F, L, TB, TS, TF>(ub, nb, mb, xs, sb);
            }
            acc = IntegerKernels.Step(L.Sum4(sa, sb, L.Zero, L.Zero), Vector128.Create(F.Scale(a), F.Scale(b), 0, 0) * *(float*)x, acc);
        }
        return acc;
    }

    // One weight row times four activation rows: each group is decoded once for all four.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tokens4<F, L, TB, TS, TF>(byte* row, int blocks, byte* x, nint xStride, float* y, nint yStride)
        where F : struct, IGridBlock<F> where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var acc = Vector128<float>.Zero;
        for (var i = 0; i < blocks; i++, row += F.BlockBytes, x += ActivationBlocks.Q8KBytes)
        {
            byte* q0 = x + ActivationBlocks.Q8KCodes, q1 = q0 + xStride, q2 = q1 + xStride, q3 = q2 + xStride;
            TS s0 = L.Zero, s1 = L.Zero, s2 = L.Zero, s3 = L.Zero;
            for (var at = 0; at < 256; at += 32)
            {
                Codes<F, L, TB, TS, TF>(row, at / 32, out var u, out var negative, out var m);
                s0 = Dot<F, L, TB, TS, TF>(u, negative, m, L.Load(q0 + at), s0);
                s1 = Dot<F, L, TB, TS, TF>(u, negative, m, L.Load(q1 + at), s1);
                s2 = Dot<F, L, TB, TS, TF>(u, negative, m, L.Load(q2 + at), s2);
                s3 = Dot<F, L, TB, TS, TF>(u, negative, m, L.Load(q3 + at), s3);
            }
            var dx = IntegerKernels.TokenFloats(x, x + xStride, x + 2 * xStride, x + 3 * xStride);
            acc = IntegerKernels.Step(L.Sum4(s0, s1, s2, s3), F.Scale(row) * dx, acc);
        }
        IntegerKernels.Store<Four>(acc, y, yStride);
    }

    /// <summary>Group <paramref name="ib"/>'s code magnitudes (IQ1: signed codes), negative-code masks and half-group multipliers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Codes<F, L, TB, TS, TF>(byte* block, int ib, out TB magnitudes, out TB negative, out TB multipliers)
        where F : struct, IGridBlock<F> where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var (first, second) = F.GroupScale(block, ib);
        multipliers = L.ShortPair((short)first, (short)second);
        magnitudes = F.Levels<L, TB, TS, TF>(block, ib);
        negative = F.Negative<L, TB, TS, TF>(block, ib);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TS Dot<F, L, TB, TS, TF>(TB magnitudes, TB negative, TB multipliers, TB xs, TS acc)
        where F : struct, IGridBlock<F> where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        F.Eighths ? L.DotScaledSigned(magnitudes, xs, multipliers, acc) : L.DotScaled(magnitudes, L.Negated(xs, negative), multipliers, acc);
}
