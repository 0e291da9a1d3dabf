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

    /// <summary>y[t, r] for t &lt; n, r in [rowStart, rowEnd) of a 32-weight format; x holds n rows of Q8 blocks, xStride bytes apart.
    /// One activation row takes the matrix-vector path (<see cref="DecodeQ8"/>).</summary>
    public static void RowsQ8<F, L, TB, TS, TF>(byte* w, nint rowBytes, int blocks, byte* x, nint xStride, int n, float* y, int rows, int rowStart, int rowEnd)
        where F : struct, IQ8Dot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        Bands(&DecodeQ8<F, L, TB, TS, TF>, &DotQ8<F, L, TB, TS, TF>, w, rowBytes, blocks, x, xStride, n, y, rows, rowStart, rowEnd);

    /// <summary>As <see cref="RowsQ8"/> for a 256-weight K format and Q8_K activation blocks; one activation row takes the
    /// matrix-vector path (<see cref="DecodeQ8K"/>).</summary>
    public static void RowsQ8K<F, L, TB, TS, TF>(byte* w, nint rowBytes, int blocks, byte* x, nint xStride, int n, float* y, int rows, int rowStart, int rowEnd)
        where F : struct, IQ8KDot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        Bands(&DecodeQ8K<F, L, TB, TS, TF>, &DotQ8K<F, L, TB, TS, TF>, w, rowBytes, blocks, x, xStride, n, y, rows, rowStart, rowEnd);

    /// <summary>y[t, r] for t &lt; n, r in [rowStart, rowEnd) from a format's two row kernels: <paramref name="decode"/> (one
    /// activation row times weight rows [rowStart, rowEnd)) and <paramref name="tokens4"/> (one weight row times four activation
    /// rows). Several activation rows go through bands of weight rows that stay in cache while every token reads them: tiles of
    /// four tokens, then the rest one token at a time.</summary>
    public static void Bands(delegate*<byte*, nint, int, byte*, float*, int, int, void> decode,
        delegate*<byte*, int, byte*, nint, float*, nint, void> tokens4,
        byte* w, nint rowBytes, int blocks, byte* x, nint xStride, int n, float* y, int rows, int rowStart, int rowEnd)
    {
        if (n == 1)
        {
            decode(w, rowBytes, blocks, x, y, rowStart, rowEnd);
            return;
        }
        for (var band = rowStart; band < rowEnd; band += BandRows)
        {
            var bandEnd = Math.Min(band + BandRows, rowEnd);
            var t = 0;
            for (; t + 4 <= n; t += 4)
                for (var r = band; r < bandEnd; r++)
                    tokens4(w + r * rowBytes, blocks, x + t * xStride, xStride, y + (nint)t * rows + r, rows);
            for (; t < n; t++)
                decode(w, rowBytes, blocks, x + t * xStride, y + (nint)t * rows, band, bandEnd);
        }
    }

    /// <summary>y[r] for r in [rowStart, rowEnd) of a 32-weight format with one activation row: weight rows go in groups of
    /// four (then two, then one) that share every activation load, and each row ends in one horizontal sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void DecodeQ8<F, L, TB, TS, TF>(byte* w, nint rowBytes, int blocks, byte* x, float* y, int rowStart, int rowEnd)
        where F : struct, IQ8Dot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var r = rowStart;
        for (; r + 4 <= rowEnd; r += 4)
            GroupQ8<F, L, TB, TS, TF, Four>(w + r * rowBytes, rowBytes, blocks, x, y + r);
        if (r + 2 <= rowEnd)
        {
            GroupQ8<F, L, TB, TS, TF, Two>(w + r * rowBytes, rowBytes, blocks, x, y + r);
            r += 2;
        }
        if (r < rowEnd)
            GroupQ8<F, L, TB, TS, TF, One>(w + r * rowBytes, rowBytes, blocks, x, y + r);
    }

    /// <summary>Rows a, a + rowBytes, … (G of them) times one activation row of Q8 blocks into y[0 .. G).</summary>
    // its own compilation: inlined into the dispatch, the three group sizes exhaust the JIT's inlining budget
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void GroupQ8<F, L, TB, TS, TF, G>(byte* a, nint rowBytes, int blocks, byte* x, float* y)
        where F : struct, IQ8Dot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
        where G : struct, ICount
    {
        TF f0 = L.ZeroF, f1 = L.ZeroF, f2 = L.ZeroF, f3 = L.ZeroF;
        float o0 = 0, o1 = 0, o2 = 0, o3 = 0;
        var skip = (G.Count - 1) * rowBytes;
        for (var i = 0; i < blocks; i++, a += F.BlockBytes, x += ActivationBlocks.Q8Bytes)
        {
            var ahead = Ahead(i * F.BlockBytes, rowBytes, skip);
            Prefetch.Lines(a + ahead, F.BlockBytes);
            if (G.Count > 1) Prefetch.Lines(a + rowBytes + ahead, F.BlockBytes);
            if (G.Count > 2)
            {
                Prefetch.Lines(a + 2 * rowBytes + ahead, F.BlockBytes);
                Prefetch.Lines(a + 3 * rowBytes + ahead, F.BlockBytes);
            }
            var xs = L.Load(x + ActivationBlocks.Q8Codes);
            float dx = *(float*)x, sx = *(float*)(x + 4);
            f0 = BlockQ8<F, L, TB, TS, TF>(a, xs, dx, sx, f0, ref o0);
            if (G.Count > 1) f1 = BlockQ8<F, L, TB, TS, TF>(a + rowBytes, xs, dx, sx, f1, ref o1);
            if (G.Count > 2)
            {
                f2 = BlockQ8<F, L, TB, TS, TF>(a + 2 * rowBytes, xs, dx, sx, f2, ref o2);
                f3 = BlockQ8<F, L, TB, TS, TF>(a + 3 * rowBytes, xs, dx, sx, f3, ref o3);
            }
        }
        y[0] = L.Sum(f0) + o0;
        if (G.Count > 1) y[1] = L.Sum(f1) + o1;
        if (G.Count > 2)
        {
            y[2] = L.Sum(f2) + o2;
            y[3] = L.Sum(f3) + o3;
        }
    }

    /// <summary>How far ahead a row stream of a group prefetches at byte <paramref name="at"/> of its row: past the row's end
    /// it skips the group's other rows, since the next group's rows come after them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint Ahead(nint at, nint rowBytes, nint skip) => Prefetch.Distance + (skip & ~((at + Prefetch.Distance - rowBytes) >> 63));

    /// <summary>One block of one weight row times the activation block with codes <paramref name="xs"/>, scale dx and
    /// scaled code sum sx: the scaled integer dot product into <paramref name="acc"/>, the offset term into <paramref name="offsets"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF BlockQ8<F, L, TB, TS, TF>(byte* block, TB xs, float dx, float sx, TF acc, ref float offsets)
        where F : struct, IQ8Dot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var d = F.Scale(block);
        var codes = F.Codes<L, TB, TS, TF>(block);
        if (F.HasOffset) offsets += F.Offset(block, d) * sx;
        var sum = F.SignedCodes ? L.DotSigned(codes, xs, L.Zero) : L.Dot(codes, xs, L.Zero);
        return L.Accumulate(sum, d * dx, acc);
    }

    /// <summary>y[r] for r in [rowStart, rowEnd) of a K format with one activation row: weight rows go in pairs that share
    /// every activation load, each super-block's codes and scales stay in registers, and each row ends in one horizontal sum.</summary>
    /// <remarks>Groups of four rows, written as a kernel generic in the group size like <see cref="GroupQ8"/>, measured
    /// 10–25 % slower on Q4_K and Q6_K, and still 12–20 % slower over the spans below (each span compiled on its own, since
    /// both inlined exhaust the JIT's inlining budget): the JIT then takes the nibble masks from memory at every use.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void DecodeQ8K<F, L, TB, TS, TF>(byte* w, nint rowBytes, int blocks, byte* x, float* y, int rowStart, int rowEnd)
        where F : struct, IQ8KDot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var r = rowStart;
        for (; r + 2 <= rowEnd; r += 2)
            RowPairQ8K<F, L, TB, TS, TF>(w + r * rowBytes, rowBytes, blocks, x, y + r);
        if (r < rowEnd)
            y[r] = RowQ8K<F, L, TB, TS, TF>(w + r * rowBytes, blocks, x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowPairQ8K<F, L, TB, TS, TF>(byte* a, nint rowBytes, int blocks, byte* x, float* y)
        where F : struct, IQ8KDot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        TF fa = L.ZeroF, fb = L.ZeroF;
        // the blocks whose prefetch stays in the row (as Ahead), then the rest, whose prefetch skips the pair's second row:
        // two spans with a fixed distance each, so no block computes its own
        var near = (int)Math.Clamp((rowBytes - Prefetch.Distance + F.BlockBytes - 1) / F.BlockBytes, 0, blocks);
        PairSpanQ8K<F, L, TB, TS, TF>(a, rowBytes, near, x, Prefetch.Distance, ref fa, ref fb);
        var far = blocks - near;
        PairSpanQ8K<F, L, TB, TS, TF>(a + near * F.BlockBytes, rowBytes, far, x + near * ActivationBlocks.Q8KBytes,
            Prefetch.Distance + rowBytes, ref fa, ref fb);
        y[0] = L.Sum(fa);
        y[1] = L.Sum(fb);
    }

    /// <summary><paramref name="count"/> super-blocks of rows a and a + rowBytes into fa and fb, prefetching <paramref name="ahead"/> bytes on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PairSpanQ8K<F, L, TB, TS, TF>(byte* a, nint rowBytes, int count, byte* x, nint ahead, ref TF fa, ref TF fb)
        where F : struct, IQ8KDot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var b = a + rowBytes;
        for (var i = 0; i < count; i++, a += F.BlockBytes, b += F.BlockBytes, x += ActivationBlocks.Q8KBytes)
        {
            Prefetch.Lines(a + ahead, F.BlockBytes);
            Prefetch.Lines(b + ahead, F.BlockBytes);
            var q = x + ActivationBlocks.Q8KCodes;
            var scalesA = F.PairScales<L, TB, TS, TF>(a, b, out var ma, out var scalesB, out var mb);
            var sa = SuperBlockQ8K<F, L, TB, TS, TF>(a, q, scalesA);
            var sb = SuperBlockQ8K<F, L, TB, TS, TF>(b, q, scalesB);
            fa = BlockEndQ8K<F, L, TB, TS, TF>(sa, ma, a, x, fa);
            fb = BlockEndQ8K<F, L, TB, TS, TF>(sb, mb, b, x, fb);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float RowQ8K<F, L, TB, TS, TF>(byte* a, int blocks, byte* x)
        where F : struct, IQ8KDot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var f = L.ZeroF;
        for (var i = 0; i < blocks; i++, a += F.BlockBytes, x += ActivationBlocks.Q8KBytes)
        {
            var scales = F.Scales<L, TB, TS, TF>(a, out var mins);
            var sum = SuperBlockQ8K<F, L, TB, TS, TF>(a, x + ActivationBlocks.Q8KCodes, scales);
            f = BlockEndQ8K<F, L, TB, TS, TF>(sum, mins, a, x, f);
        }
        return L.Sum(f);
    }

    /// <summary>The integer sum of one super-block with the activation codes at <paramref name="q"/>, scaled by its group
    /// <paramref name="scales"/>; even and odd chunks in separate sums, so two multiply-add chains run at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TS SuperBlockQ8K<F, L, TB, TS, TF>(byte* block, byte* q, TB scales)
        where F : struct, IQ8KDot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        // unrolled: each chunk's index is a constant, so its shuffle masks and code offsets are too
        F.Quad<L, TB, TS, TF>(block, 0, out var c0, out var c1, out var c2, out var c3);
        var even = ChunkQ8K<F, L, TB, TS, TF>(c0, q, 0, L.ScalePair(scales, 0), L.Zero);
        var odd = ChunkQ8K<F, L, TB, TS, TF>(c1, q, 32, L.ScalePair(scales, 1), L.Zero);
        even = ChunkQ8K<F, L, TB, TS, TF>(c2, q, 64, L.ScalePair(scales, 2), even);
        odd = ChunkQ8K<F, L, TB, TS, TF>(c3, q, 96, L.ScalePair(scales, 3), odd);
        F.Quad<L, TB, TS, TF>(block, 1, out c0, out c1, out c2, out c3);
        even = ChunkQ8K<F, L, TB, TS, TF>(c0, q, 128, L.ScalePair(scales, 4), even);
        odd = ChunkQ8K<F, L, TB, TS, TF>(c1, q, 160, L.ScalePair(scales, 5), odd);
        even = ChunkQ8K<F, L, TB, TS, TF>(c2, q, 192, L.ScalePair(scales, 6), even);
        odd = ChunkQ8K<F, L, TB, TS, TF>(c3, q, 224, L.ScalePair(scales, 7), odd);
        return L.Add(even, odd);
    }

    /// <summary>One weight row times four activation rows of Q8 blocks; y[t · yStride] receives row t's product.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotQ8<F, L, TB, TS, TF>(byte* row, int blocks, byte* x, nint xStride, float* y, nint yStride)
        where F : struct, IQ8Dot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        TF f0 = L.ZeroF, f1 = L.ZeroF, f2 = L.ZeroF, f3 = L.ZeroF;
        float o0 = 0, o1 = 0, o2 = 0, o3 = 0;
        byte* x0 = x, x1 = x + xStride, x2 = x + 2 * xStride, x3 = x + 3 * xStride;
        for (var b = 0; b < blocks; b++, row += F.BlockBytes)
        {
            var codes = F.Codes<L, TB, TS, TF>(row);
            var d = F.Scale(row);
            var offset = F.HasOffset ? F.Offset(row, d) : 0;
            nint at = b * ActivationBlocks.Q8Bytes;
            f0 = TokenBlockQ8<F, L, TB, TS, TF>(codes, d, x0 + at, f0);
            f1 = TokenBlockQ8<F, L, TB, TS, TF>(codes, d, x1 + at, f1);
            f2 = TokenBlockQ8<F, L, TB, TS, TF>(codes, d, x2 + at, f2);
            f3 = TokenBlockQ8<F, L, TB, TS, TF>(codes, d, x3 + at, f3);
            if (F.HasOffset)
            {
                o0 += offset * *(float*)(x0 + at + 4);
                o1 += offset * *(float*)(x1 + at + 4);
                o2 += offset * *(float*)(x2 + at + 4);
                o3 += offset * *(float*)(x3 + at + 4);
            }
        }
        y[0] = L.Sum(f0) + o0;
        y[yStride] = L.Sum(f1) + o1;
        y[2 * yStride] = L.Sum(f2) + o2;
        y[3 * yStride] = L.Sum(f3) + o3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF TokenBlockQ8<F, L, TB, TS, TF>(TB codes, float d, byte* xb, TF acc)
        where F : struct, IQ8Dot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var xs = L.Load(xb + ActivationBlocks.Q8Codes);
        var sum = F.SignedCodes ? L.DotSigned(codes, xs, L.Zero) : L.Dot(codes, xs, L.Zero);
        return L.Accumulate(sum, d * *(float*)xb, acc);
    }

    /// <summary>One weight row times four activation rows of Q8_K blocks; y[t · yStride] receives row t's product.</summary>
    // its own compilation: inlined into RowsQ8K beside the matrix-vector kernels, it exhausted the JIT's inlining budget and
    // called its chunks, block ends and code assembly per chunk (a quarter of a 4-sequence decode step of Llama-3.2-1B)
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void DotQ8K<F, L, TB, TS, TF>(byte* row, int blocks, byte* x, nint xStride, float* y, nint yStride)
        where F : struct, IQ8KDot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        TF f0 = L.ZeroF, f1 = L.ZeroF, f2 = L.ZeroF, f3 = L.ZeroF;
        byte* x0 = x, x1 = x + xStride, x2 = x + 2 * xStride, x3 = x + 3 * xStride;
        for (var b = 0; b < blocks; b++, row += F.BlockBytes)
        {
            var groupScales = F.Scales<L, TB, TS, TF>(row, out var groupMins);
            TS s0 = L.Zero, s1 = L.Zero, s2 = L.Zero, s3 = L.Zero;
            nint at = b * ActivationBlocks.Q8KBytes;
            byte* q0 = x0 + at + ActivationBlocks.Q8KCodes, q1 = x1 + at + ActivationBlocks.Q8KCodes;
            byte* q2 = x2 + at + ActivationBlocks.Q8KCodes, q3 = x3 + at + ActivationBlocks.Q8KCodes;
            // unrolled: each chunk's index is a constant, so its scale shuffle mask and code offsets are too
            Chunk<F, L, TB, TS, TF>(row, groupScales, 0, q0, q1, q2, q3, ref s0, ref s1, ref s2, ref s3);
            Chunk<F, L, TB, TS, TF>(row, groupScales, 1, q0, q1, q2, q3, ref s0, ref s1, ref s2, ref s3);
            Chunk<F, L, TB, TS, TF>(row, groupScales, 2, q0, q1, q2, q3, ref s0, ref s1, ref s2, ref s3);
            Chunk<F, L, TB, TS, TF>(row, groupScales, 3, q0, q1, q2, q3, ref s0, ref s1, ref s2, ref s3);
            Chunk<F, L, TB, TS, TF>(row, groupScales, 4, q0, q1, q2, q3, ref s0, ref s1, ref s2, ref s3);
            Chunk<F, L, TB, TS, TF>(row, groupScales, 5, q0, q1, q2, q3, ref s0, ref s1, ref s2, ref s3);
            Chunk<F, L, TB, TS, TF>(row, groupScales, 6, q0, q1, q2, q3, ref s0, ref s1, ref s2, ref s3);
            Chunk<F, L, TB, TS, TF>(row, groupScales, 7, q0, q1, q2, q3, ref s0, ref s1, ref s2, ref s3);
            f0 = BlockEndQ8K<F, L, TB, TS, TF>(s0, groupMins, row, x0 + at, f0);
            f1 = BlockEndQ8K<F, L, TB, TS, TF>(s1, groupMins, row, x1 + at, f1);
            f2 = BlockEndQ8K<F, L, TB, TS, TF>(s2, groupMins, row, x2 + at, f2);
            f3 = BlockEndQ8K<F, L, TB, TS, TF>(s3, groupMins, row, x3 + at, f3);
        }
        y[0] = L.Sum(f0);
        y[yStride] = L.Sum(f1);
        y[2 * yStride] = L.Sum(f2);
        y[3 * yStride] = L.Sum(f3);
    }

    /// <summary>Chunk <paramref name="c"/> (codes 32c..32c+31) of a super-block times four activation rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Chunk<F, L, TB, TS, TF>(byte* block, TB groupScales, int c, byte* q0, byte* q1, byte* q2, byte* q3,
        ref TS s0, ref TS s1, ref TS s2, ref TS s3)
        where F : struct, IQ8KDot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var code = F.Chunk<L, TB, TS, TF>(block, c);
        var m = L.ScalePair(groupScales, c);
        s0 = ChunkQ8K<F, L, TB, TS, TF>(code, q0, 32 * c, m, s0);
        s1 = ChunkQ8K<F, L, TB, TS, TF>(code, q1, 32 * c, m, s1);
        s2 = ChunkQ8K<F, L, TB, TS, TF>(code, q2, 32 * c, m, s2);
        s3 = ChunkQ8K<F, L, TB, TS, TF>(code, q3, 32 * c, m, s3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TS ChunkQ8K<F, L, TB, TS, TF>(TB codes, byte* q, int at, TB multipliers, TS acc)
        where F : struct, IQ8KDot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        // base and constant offset apart: the JIT folds q + at into the multiply's memory operand (an argument q + at costs an lea per chunk)
        F.SignedCodes ? L.DotScaledSigned(codes, L.Load(q + at), multipliers, acc) : L.DotScaled(codes, L.Load(q + at), multipliers, acc);

    /// <summary>Adds a super-block's minimum terms (from the activation's per-16 sums) and scales it into <paramref name="acc"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF BlockEndQ8K<F, L, TB, TS, TF>(TS sum, TB mins, byte* block, byte* xb, TF acc)
        where F : struct, IQ8KDot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var dx = *(float*)xb;
        if (F.Mins == KMins.SameScale)
            sum = L.DotShorts(mins, L.LoadShorts((short*)(xb + ActivationBlocks.Q8KSums)), sum);
        acc = L.Accumulate(sum, F.Scale(block) * dx, acc);
        if (F.Mins == KMins.OwnScale)
            acc = L.Accumulate(L.DotShorts(mins, L.LoadShorts((short*)(xb + ActivationBlocks.Q8KSums)), L.Zero), F.MinScale(block) * dx, acc);
        return acc;
    }
}
