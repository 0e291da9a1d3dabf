using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;
using Moxing.Core.Quantization.Blocks;

namespace Moxing.Core.Kernels.Integer;

/// <summary>
/// Products of stored weight rows with quantized activations (<see cref="ActivationBlocks"/>) in integer arithmetic, as
/// ggml's vec_dot kernels: each block's codes multiply into exact 32-bit sums, scaled into floats once per block.
/// Weight rows are decoded once per tile of four activation rows; rows go in bands that stay in cache while every tile reads them.
/// </summary>
internal static unsafe class IntegerKernels
{
    // Weight rows per band: a band of the widest rows (8960 Q8_0 weights, 9.5 KiB) stays in L2 while all tiles read it.
    private const int BandRows = 16;

    /// <summary>y[t, r] for t &lt; n, r in [rowStart, rowEnd) of a 32-weight format; x holds n rows of Q8 blocks, xStride bytes apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RowsQ8<F, L, TB, TS, TF>(byte* w, nint rowBytes, int blocks, byte* x, nint xStride, int n, float* y, int rows, int rowStart, int rowEnd)
        where F : struct, IQ8Dot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        for (var band = rowStart; band < rowEnd; band += BandRows)
        {
            var bandEnd = Math.Min(band + BandRows, rowEnd);
            var t = 0;
            for (; t + 4 <= n; t += 4)
                for (var r = band; r < bandEnd; r++)
                    DotQ8<F, L, TB, TS, TF, FourTokens>(w + r * rowBytes, blocks, x + t * xStride, xStride, y + (nint)t * rows + r, rows);
            for (; t < n; t++)
                for (var r = band; r < bandEnd; r++)
                    DotQ8<F, L, TB, TS, TF, OneToken>(w + r * rowBytes, blocks, x + t * xStride, xStride, y + (nint)t * rows + r, rows);
        }
    }

    /// <summary>As <see cref="RowsQ8"/> for a 256-weight K format and Q8_K activation blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RowsQ8K<F, L, TB, TS, TF>(byte* w, nint rowBytes, int blocks, byte* x, nint xStride, int n, float* y, int rows, int rowStart, int rowEnd)
        where F : struct, IQ8KDot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var unpacked = stackalloc TB[8];
        var scales = stackalloc short[16];
        var mins = stackalloc short[16];
        for (var band = rowStart; band < rowEnd; band += BandRows)
        {
            var bandEnd = Math.Min(band + BandRows, rowEnd);
            var t = 0;
            for (; t + 4 <= n; t += 4)
                for (var r = band; r < bandEnd; r++)
                    DotQ8K<F, L, TB, TS, TF, FourTokens>(w + r * rowBytes, blocks, x + t * xStride, xStride, y + (nint)t * rows + r, rows, unpacked, scales, mins);
            for (; t < n; t++)
                for (var r = band; r < bandEnd; r++)
                    DotQ8K<F, L, TB, TS, TF, OneToken>(w + r * rowBytes, blocks, x + t * xStride, xStride, y + (nint)t * rows + r, rows, unpacked, scales, mins);
        }
    }

    /// <summary>One weight row times T activation rows of Q8 blocks; y[t · yStride] receives row t's product.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DotQ8<F, L, TB, TS, TF, T>(byte* row, int blocks, byte* x, nint xStride, float* y, nint yStride)
        where F : struct, IQ8Dot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
        where T : struct, ITokenCount
    {
        TF f0 = L.ZeroF, f1 = L.ZeroF, f2 = L.ZeroF, f3 = L.ZeroF;
        float o0 = 0, o1 = 0, o2 = 0, o3 = 0;
        byte* x0 = x, x1 = x + xStride, x2 = x + 2 * xStride, x3 = x + 3 * xStride;
        for (var b = 0; b < blocks; b++, row += F.BlockBytes)
        {
            var codes = F.Codes<L, TB, TS, TF>(row);
            var d = F.Scale(row);
            var offset = F.HasOffset ? F.Offset(row) : 0;
            nint at = b * ActivationBlocks.Q8Bytes;
            f0 = BlockQ8<F, L, TB, TS, TF>(codes, d, x0 + at, f0);
            if (F.HasOffset) o0 += offset * *(float*)(x0 + at + 4);
            if (T.Count > 1)
            {
                f1 = BlockQ8<F, L, TB, TS, TF>(codes, d, x1 + at, f1);
                f2 = BlockQ8<F, L, TB, TS, TF>(codes, d, x2 + at, f2);
                f3 = BlockQ8<F, L, TB, TS, TF>(codes, d, x3 + at, f3);
                if (F.HasOffset)
                {
                    o1 += offset * *(float*)(x1 + at + 4);
                    o2 += offset * *(float*)(x2 + at + 4);
                    o3 += offset * *(float*)(x3 + at + 4);
                }
            }
        }
        y[0] = L.Sum(f0) + o0;
        if (T.Count > 1)
        {
            y[yStride] = L.Sum(f1) + o1;
            y[2 * yStride] = L.Sum(f2) + o2;
            y[3 * yStride] = L.Sum(f3) + o3;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF BlockQ8<F, L, TB, TS, TF>(TB codes, float d, byte* xb, TF acc)
        where F : struct, IQ8Dot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var xs = L.Load(xb + ActivationBlocks.Q8Codes);
        var sum = F.SignedCodes ? L.DotSigned(codes, xs, L.Zero) : L.Dot(codes, xs, L.Zero);
        return L.Accumulate(sum, d * *(float*)xb, acc);
    }

    /// <summary>One weight row times T activation rows of Q8_K blocks; y[t · yStride] receives row t's product.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DotQ8K<F, L, TB, TS, TF, T>(byte* row, int blocks, byte* x, nint xStride, float* y, nint yStride, TB* codes, short* scales, short* mins)
        where F : struct, IQ8KDot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
        where T : struct, ITokenCount
    {
        TF f0 = L.ZeroF, f1 = L.ZeroF, f2 = L.ZeroF, f3 = L.ZeroF;
        byte* x0 = x, x1 = x + xStride, x2 = x + 2 * xStride, x3 = x + 3 * xStride;
        for (var b = 0; b < blocks; b++, row += F.BlockBytes)
        {
            var d = F.Unpack<L, TB, TS, TF>(row, codes, scales, mins, out var dmin);
            var groupScales = L.LoadShorts(scales);
            TS s0 = L.Zero, s1 = L.Zero, s2 = L.Zero, s3 = L.Zero;
            nint at = b * ActivationBlocks.Q8KBytes;
            byte* q0 = x0 + at + ActivationBlocks.Q8KCodes, q1 = x1 + at + ActivationBlocks.Q8KCodes;
            byte* q2 = x2 + at + ActivationBlocks.Q8KCodes, q3 = x3 + at + ActivationBlocks.Q8KCodes;
            // unrolled: each chunk's index is a constant, so its scale shuffle mask and code offsets are too
            Chunk<F, L, TB, TS, TF, T>(codes, groupScales, 0, q0, q1, q2, q3, ref s0, ref s1, ref s2, ref s3);
            Chunk<F, L, TB, TS, TF, T>(codes, groupScales, 1, q0, q1, q2, q3, ref s0, ref s1, ref s2, ref s3);
            Chunk<F, L, TB, TS, TF, T>(codes, groupScales, 2, q0, q1, q2, q3, ref s0, ref s1, ref s2, ref s3);
            Chunk<F, L, TB, TS, TF, T>(codes, groupScales, 3, q0, q1, q2, q3, ref s0, ref s1, ref s2, ref s3);
            Chunk<F, L, TB, TS, TF, T>(codes, groupScales, 4, q0, q1, q2, q3, ref s0, ref s1, ref s2, ref s3);
            Chunk<F, L, TB, TS, TF, T>(codes, groupScales, 5, q0, q1, q2, q3, ref s0, ref s1, ref s2, ref s3);
            Chunk<F, L, TB, TS, TF, T>(codes, groupScales, 6, q0, q1, q2, q3, ref s0, ref s1, ref s2, ref s3);
            Chunk<F, L, TB, TS, TF, T>(codes, groupScales, 7, q0, q1, q2, q3, ref s0, ref s1, ref s2, ref s3);
            var groupMins = F.Mins == KMins.None ? default : L.LoadShorts(mins);
            f0 = BlockEndQ8K<F, L, TB, TS, TF>(s0, groupMins, d, dmin, x0 + at, f0);
            if (T.Count > 1)
            {
                f1 = BlockEndQ8K<F, L, TB, TS, TF>(s1, groupMins, d, dmin, x1 + at, f1);
                f2 = BlockEndQ8K<F, L, TB, TS, TF>(s2, groupMins, d, dmin, x2 + at, f2);
                f3 = BlockEndQ8K<F, L, TB, TS, TF>(s3, groupMins, d, dmin, x3 + at, f3);
            }
        }
        y[0] = L.Sum(f0);
        if (T.Count > 1)
        {
            y[yStride] = L.Sum(f1);
            y[2 * yStride] = L.Sum(f2);
            y[3 * yStride] = L.Sum(f3);
        }
    }

    /// <summary>Chunk <paramref name="c"/> (codes 32c..32c+31) of a super-block times T activation rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Chunk<F, L, TB, TS, TF, T>(TB* codes, TB groupScales, int c, byte* q0, byte* q1, byte* q2, byte* q3,
        ref TS s0, ref TS s1, ref TS s2, ref TS s3)
        where F : struct, IQ8KDot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
        where T : struct, ITokenCount
    {
        var code = codes[c];
        var m = L.ScalePair(groupScales, c);
        s0 = ChunkQ8K<F, L, TB, TS, TF>(code, q0 + 32 * c, m, s0);
        if (T.Count > 1)
        {
            s1 = ChunkQ8K<F, L, TB, TS, TF>(code, q1 + 32 * c, m, s1);
            s2 = ChunkQ8K<F, L, TB, TS, TF>(code, q2 + 32 * c, m, s2);
            s3 = ChunkQ8K<F, L, TB, TS, TF>(code, q3 + 32 * c, m, s3);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TS ChunkQ8K<F, L, TB, TS, TF>(TB codes, byte* xs, TB multipliers, TS acc)
        where F : struct, IQ8KDot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        F.SignedCodes ? L.DotScaledSigned(codes, L.Load(xs), multipliers, acc) : L.DotScaled(codes, L.Load(xs), multipliers, acc);

    /// <summary>Adds a super-block's minimum terms (from the activation's per-16 sums) and scales it into <paramref name="acc"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF BlockEndQ8K<F, L, TB, TS, TF>(TS sum, TB mins, float d, float dmin, byte* xb, TF acc)
        where F : struct, IQ8KDot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var dx = *(float*)xb;
        if (F.Mins == KMins.SameScale)
            sum = L.DotShorts(mins, L.LoadShorts((short*)(xb + ActivationBlocks.Q8KSums)), sum);
        acc = L.Accumulate(sum, d * dx, acc);
        if (F.Mins == KMins.OwnScale)
            acc = L.Accumulate(L.DotShorts(mins, L.LoadShorts((short*)(xb + ActivationBlocks.Q8KSums)), L.Zero), dmin * dx, acc);
        return acc;
    }
}
