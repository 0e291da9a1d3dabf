using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Moxing.Core.Quantization.Blocks;

namespace Moxing.Core.Kernels.Integer;

/// <summary>
/// The vector panel multiply, its integer step done by <typeparamref name="D"/>: a weight vector loaded once serves four
/// tokens and an activation code broadcast once serves eight rows. Each lane accumulates one (row, token) pair in block
/// order with the float operations of <see cref="ScalarPanelTile"/>, so the two give the same bits.
/// </summary>
internal readonly unsafe struct PanelTile<D> : IPanelTile where D : struct, IPanelDot
{
    /// <summary>True when the processor has the instructions of <typeparamref name="D"/>.</summary>
    public static bool IsSupported => D.IsSupported;

    public static void Small<F>(byte* panel, int blocks, byte* x, nint xStride, int tokens, float* y, nint yStride, int count) where F : struct, IQ8Dot
    {
        if (tokens == 4) TileSmall<F, Four>(panel, blocks, x, xStride, y, yStride, count);
        else for (var t = 0; t < tokens; t++) TileSmall<F, One>(panel, blocks, x + t * xStride, xStride, y + t * yStride, yStride, count);
    }

    public static void Super<F>(byte* panel, int blocks, byte* x, nint xStride, int tokens, float* y, nint yStride, int count) where F : struct, IQ8KDot
    {
        if (tokens == 4) TileSuper<F, Four>(panel, blocks, x, xStride, y, yStride, count);
        else for (var t = 0; t < tokens; t++) TileSuper<F, One>(panel, blocks, x + t * xStride, xStride, y + t * yStride, yStride, count);
    }

    /// <summary>A small-block panel times T activation rows of Q8 blocks; lane r of token t goes to y[t · yStride + r].</summary>
    /// <remarks>Not inlined: inlined into <see cref="Small{F}"/>, the JIT ran out of inlining budget and left the integer
    /// steps of biased codes as calls.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void TileSmall<F, T>(byte* panel, int blocks, byte* x, nint xStride, float* y, nint yStride, int count)
        where F : struct, IQ8Dot where T : struct, ICount
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        byte* x0 = x, x1 = x + xStride, x2 = x + 2 * xStride, x3 = x + 3 * xStride;
        for (var b = 0; b < blocks; b++, panel += Panel.SmallBytes)
        {
            var d = Avx.LoadVector256((float*)(panel + Panel.SmallScale));
            var offset = Avx.LoadVector256((float*)(panel + Panel.SmallOffset));
            nint at = b * ActivationBlocks.Q8Bytes;
            D.Block<T>(panel, x0 + at + ActivationBlocks.Q8Codes, xStride, F.SignedCodes, F.LargestCode, out var i0, out var i1, out var i2, out var i3);
            a0 = EndSmall<F>(i0, d, offset, x0 + at, a0);
            if (T.Count > 1)
            {
                a1 = EndSmall<F>(i1, d, offset, x1 + at, a1);
                a2 = EndSmall<F>(i2, d, offset, x2 + at, a2);
                a3 = EndSmall<F>(i3, d, offset, x3 + at, a3);
            }
        }
        StoreTokens<T>(a0, a1, a2, a3, y, yStride, count);
    }

    /// <summary>Scales a block's integer sums by d · dx into <paramref name="acc"/> and adds its offset term.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> EndSmall<F>(Vector256<int> sum, Vector256<float> d, Vector256<float> offset, byte* xb, Vector256<float> acc)
        where F : struct, IQ8Dot
    {
        acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sum), Avx.Multiply(d, Vector256.Create(*(float*)xb)), acc);
        if (F.HasOffset)
            acc = Fma.MultiplyAdd(offset, Vector256.Create(*(float*)(xb + 4)), acc);
        return acc;
    }

    /// <summary>A K panel times T activation rows of Q8_K blocks; lane r of token t goes to y[t · yStride + r].</summary>
    /// <remarks>Not inlined, as <see cref="TileSmall{F, T}"/>.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void TileSuper<F, T>(byte* panel, int blocks, byte* x, nint xStride, float* y, nint yStride, int count)
        where F : struct, IQ8KDot where T : struct, ICount
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        byte* x0 = x, x1 = x + xStride, x2 = x + 2 * xStride, x3 = x + 3 * xStride;
        for (var b = 0; b < blocks; b++, panel += Panel.SuperBytes)
        {
            nint at = b * ActivationBlocks.Q8KBytes;
            Vector256<int> i0 = default, i1 = default, i2 = default, i3 = default;
            byte* q0 = x0 + at + ActivationBlocks.Q8KCodes, q1 = x1 + at + ActivationBlocks.Q8KCodes;
            byte* q2 = x2 + at + ActivationBlocks.Q8KCodes, q3 = x3 + at + ActivationBlocks.Q8KCodes;
            short* s0 = (short*)(x0 + at + ActivationBlocks.Q8KSums), s1 = (short*)(x1 + at + ActivationBlocks.Q8KSums);
            short* s2 = (short*)(x2 + at + ActivationBlocks.Q8KSums), s3 = (short*)(x3 + at + ActivationBlocks.Q8KSums);
            for (var h = 0; h < 16; h++)
            {
                var codes = panel + 128 * h;
                var c0 = Avx.LoadVector256(codes);
                var c1 = Avx.LoadVector256(codes + 32);
                var c2 = Avx.LoadVector256(codes + 64);
                var c3 = Avx.LoadVector256(codes + 96);
                var scale = Avx.LoadVector256((int*)(panel + Panel.SuperScales) + Panel.Rows * h);
                i0 = D.Group(c0, c1, c2, c3, scale, q0 + 16 * h, F.SignedCodes ? s0[h] : (short)0, i0, F.SignedCodes, F.LargestCode);
                if (T.Count > 1)
                {
                    i1 = D.Group(c0, c1, c2, c3, scale, q1 + 16 * h, F.SignedCodes ? s1[h] : (short)0, i1, F.SignedCodes, F.LargestCode);
                    i2 = D.Group(c0, c1, c2, c3, scale, q2 + 16 * h, F.SignedCodes ? s2[h] : (short)0, i2, F.SignedCodes, F.LargestCode);
                    i3 = D.Group(c0, c1, c2, c3, scale, q3 + 16 * h, F.SignedCodes ? s3[h] : (short)0, i3, F.SignedCodes, F.LargestCode);
                }
            }
            var d = Avx.LoadVector256((float*)(panel + Panel.SuperScale));
            var dmin = Avx.LoadVector256((float*)(panel + Panel.SuperOwnScale));
            a0 = EndSuper<F>(panel, d, dmin, i0, x0 + at, a0);
            if (T.Count > 1)
            {
                a1 = EndSuper<F>(panel, d, dmin, i1, x1 + at, a1);
                a2 = EndSuper<F>(panel, d, dmin, i2, x2 + at, a2);
                a3 = EndSuper<F>(panel, d, dmin, i3, x3 + at, a3);
            }
        }
        StoreTokens<T>(a0, a1, a2, a3, y, yStride, count);
    }

    /// <summary>Adds a super-block's minimum terms (from the activation's per-16 sums) and scales it into <paramref name="acc"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> EndSuper<F>(byte* panel, Vector256<float> d, Vector256<float> dmin, Vector256<int> sum, byte* xb, Vector256<float> acc)
        where F : struct, IQ8KDot
    {
        var dx = Vector256.Create(*(float*)xb);
        var sums = (int*)(xb + ActivationBlocks.Q8KSums);
        if (F.Mins == KMins.SameScale || F.SignedCodes)
            sum = Mins(panel + Panel.SuperSameMins, sums, sum);
        acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sum), Avx.Multiply(d, dx), acc);
        if (F.Mins == KMins.OwnScale)
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Mins(panel + Panel.SuperOwnMins, sums, Vector256<int>.Zero)), Avx.Multiply(dmin, dx), acc);
        return acc;
    }

    /// <summary>acc + Σ_h mins[h] · (activation sum of group h), lane-wise, two groups per <c>vpdpwssd</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Mins(byte* pairs, int* sums, Vector256<int> acc)
    {
        for (var p = 0; p < 8; p++)
            acc = D.Shorts(acc, Avx.LoadVector256((short*)(pairs + 32 * p)), Vector256.Create(sums[p]).AsInt16());
        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTokens<T>(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3, float* y, nint yStride, int count)
        where T : struct, ICount
    {
        Store(a0, y, count);
        if (T.Count == 1) return;
        Store(a1, y + yStride, count);
        Store(a2, y + 2 * yStride, count);
        Store(a3, y + 3 * yStride, count);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<float> v, float* y, int count)
    {
        if (count == Panel.Rows)
        {
            Avx.Store(y, v);
            return;
        }
        for (var r = 0; r < count; r++) y[r] = v.GetElement(r);
    }
}
