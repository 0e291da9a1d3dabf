using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Moxing.Core.Kernels.Lanes;
using Moxing.Core.Quantization.Blocks;

namespace Moxing.Core.Kernels.Integer;

/// <summary>
/// Products of stored weight rows with quantized activations (<see cref="ActivationBlocks"/>) in integer arithmetic, as
/// ggml's vec_dot kernels: each block's codes multiply into exact 32-bit sums, scaled into floats once per block.
/// Weight rows are decoded once per tile of four activation rows; rows go in bands that stay in cache while every tile reads them.
/// Every output takes the float steps of <see cref="ScalarPanelTile"/> (<see cref="Step"/>): a row's product is the same
/// bits whichever kernel computes it and however many activation rows share the product (a batched step equals the lone one).
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
    /// four (then two, then one) that share every activation load, and each block ends in one float step for the group.</summary>
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
        var acc = Vector128<float>.Zero;
        var skip = (G.Count - 1) * rowBytes;
        byte* b = a + rowBytes, c = a + 2 * rowBytes, e = a + 3 * rowBytes;
        for (nint i = 0; i < blocks; i++, x += ActivationBlocks.Q8Bytes)
        {
            var at = i * F.BlockBytes;
            var ahead = Ahead(at, rowBytes, skip);
            Prefetch.Lines(a + at + ahead, F.BlockBytes);
            if (G.Count > 1) Prefetch.Lines(b + at + ahead, F.BlockBytes);
            if (G.Count > 2)
            {
                Prefetch.Lines(c + at + ahead, F.BlockBytes);
                Prefetch.Lines(e + at + ahead, F.BlockBytes);
            }
            var xs = L.Load(x + ActivationBlocks.Q8Codes);
            float d0 = F.Scale(a + at), d1 = G.Count > 1 ? F.Scale(b + at) : 0, d2 = G.Count > 2 ? F.Scale(c + at) : 0, d3 = G.Count > 2 ? F.Scale(e + at) : 0;
            var sums = L.Sum4(BlockQ8<F, L, TB, TS, TF>(a + at, xs), G.Count > 1 ? BlockQ8<F, L, TB, TS, TF>(b + at, xs) : L.Zero,
                G.Count > 2 ? BlockQ8<F, L, TB, TS, TF>(c + at, xs) : L.Zero, G.Count > 2 ? BlockQ8<F, L, TB, TS, TF>(e + at, xs) : L.Zero);
            acc = Step(sums, Vector128.Create(d0, d1, d2, d3) * *(float*)x, acc);
            if (F.HasOffset)
            {
                var offsets = Vector128.Create(F.Offset(a + at, d0), G.Count > 1 ? F.Offset(b + at, d1) : 0,
                    G.Count > 2 ? F.Offset(c + at, d2) : 0, G.Count > 2 ? F.Offset(e + at, d3) : 0);
                acc = Vector128.FusedMultiplyAdd(offsets, Vector128.Create(*(float*)(x + 4)), acc);
            }
        }
        Store<G>(acc, y, 1);
    }

    /// <summary>acc + float(sums) · scales with one rounding per lane: the float step of every block of every integer product
    /// (<see cref="ScalarPanelTile"/>'s, so the row kernels and the panels give the same bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Step(Vector128<int> sums, Vector128<float> scales, Vector128<float> acc) =>
        Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(sums), scales, acc);

    /// <summary>Lanes 0 .. G − 1 of <paramref name="acc"/> to y[0], y[stride], ….</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Store<G>(Vector128<float> acc, float* y, nint stride) where G : struct, ICount
    {
        if (G.Count == 4 && stride == 1)
        {
            acc.Store(y);
            return;
        }
        y[0] = acc.ToScalar();
        if (G.Count > 1) y[stride] = acc.GetElement(1);
        if (G.Count > 2)
        {
            y[2 * stride] = acc.GetElement(2);
            y[3 * stride] = acc.GetElement(3);
        }
    }

    /// <summary>How far ahead a row stream of a group prefetches at byte <paramref name="at"/> of its row: past the row's end
    /// it skips the group's other rows, since the next group's rows come after them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint Ahead(nint at, nint rowBytes, nint skip) => Prefetch.Distance + (skip & ~((at + Prefetch.Distance - rowBytes) >> 63));

    /// <summary>The integer dot product of one block of one weight row with the activation block codes <paramref name="xs"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TS BlockQ8<F, L, TB, TS, TF>(byte* block, TB xs)
        where F : struct, IQ8Dot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var codes = F.Codes<L, TB, TS, TF>(block);
        return F.SignedCodes ? L.DotSigned(codes, xs, L.Zero) : L.Dot(codes, xs, L.Zero);
    }

    /// <summary>y[r] for r in [rowStart, rowEnd) of a K format with one activation row: weight rows go in pairs that share
    /// every activation load (an odd last row pairs with itself), each super-block's codes and scales stay in registers,
    /// and each super-block ends in one float step for the pair.</summary>
    /// <remarks>Groups of four rows, written as a kernel generic in the group size like <see cref="GroupQ8"/>, measured
    /// 10–25 % slower on Q4_K and Q6_K, and still 12–20 % slower over the spans below (each span compiled on its own, since
    /// both inlined exhaust the JIT's inlining budget): the JIT then takes the nibble masks from memory at every use.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void DecodeQ8K<F, L, TB, TS, TF>(byte* w, nint rowBytes, int blocks, byte* x, float* y, int rowStart, int rowEnd)
        where F : struct, IQ8KDot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        for (var r = rowStart; r < rowEnd; r += 2)
        {
            // one call site, so the pair kernel is inlined once
            var pair = r + 2 <= rowEnd;
            var sums = RowPairQ8K<F, L, TB, TS, TF>(w + r * rowBytes, pair ? rowBytes : 0, blocks, x);
            if (pair) Store<Two>(sums, y + r, 1);
            else y[r] = sums.ToScalar();
        }
    }

    /// <summary>Rows a and a + rowBytes times one activation row of Q8_K blocks, in lanes 0 and 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> RowPairQ8K<F, L, TB, TS, TF>(byte* a, nint rowBytes, int blocks, byte* x)
        where F : struct, IQ8KDot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var acc = Vector128<float>.Zero;
        // the blocks whose prefetch stays in the row (as Ahead), then the rest, whose prefetch skips the pair's second row:
        // two spans with a fixed distance each, so no block computes its own
        var near = (int)Math.Clamp((rowBytes - Prefetch.Distance + F.BlockBytes - 1) / F.BlockBytes, 0, blocks);
        PairSpanQ8K<F, L, TB, TS, TF>(a, rowBytes, near, x, Prefetch.Distance, ref acc);
        var far = blocks - near;
        PairSpanQ8K<F, L, TB, TS, TF>(a + near * F.BlockBytes, rowBytes, far, x + near * ActivationBlocks.Q8KBytes,
            Prefetch.Distance + rowBytes, ref acc);
        return acc;
    }

    /// <summary><paramref name="count"/> super-blocks of rows a and a + rowBytes into lanes 0 and 1 of <paramref name="acc"/>,
    /// prefetching <paramref name="ahead"/> bytes on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PairSpanQ8K<F, L, TB, TS, TF>(byte* a, nint rowBytes, int count, byte* x, nint ahead, ref Vector128<float> acc)
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
            var sums = Sums<L, TB, TS, TF>(x);
            var dx = *(float*)x;
            var all = L.Sum4(WithMins<F, L, TB, TS, TF>(sa, ma, sums), WithMins<F, L, TB, TS, TF>(sb, mb, sums),
                OwnMins<F, L, TB, TS, TF>(ma, sums), OwnMins<F, L, TB, TS, TF>(mb, sums));
            acc = Step(all, Vector128.Create(F.Scale(a), F.Scale(b), 0, 0) * dx, acc);
            if (F.Mins == KMins.OwnScale)
                acc = Step(Vector128.Shuffle(all, Vector128.Create(2, 3, 2, 3)), Vector128.Create(F.MinScale(a), F.MinScale(b), 0, 0) * dx, acc);
        }
    }

    /// <summary>A super-block's integer sum with its minimum terms added where they share d (from the activation's per-16 code <paramref name="sums"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TS WithMins<F, L, TB, TS, TF>(TS sum, TB mins, TB sums)
        where F : struct, IQ8KDot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        F.Mins == KMins.SameScale ? L.DotShorts(mins, sums, sum) : sum;

    /// <summary>A super-block's minimum terms with their own factor (<see cref="KMins.OwnScale"/>), else none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TS OwnMins<F, L, TB, TS, TF>(TB mins, TB sums)
        where F : struct, IQ8KDot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        F.Mins == KMins.OwnScale ? L.DotShorts(mins, sums, L.Zero) : L.Zero;

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
        var acc = Vector128<float>.Zero;
        byte* x0 = x, x1 = x + xStride, x2 = x + 2 * xStride, x3 = x + 3 * xStride;
        for (var b = 0; b < blocks; b++, row += F.BlockBytes)
        {
            var codes = F.Codes<L, TB, TS, TF>(row);
            var d = F.Scale(row);
            nint at = b * ActivationBlocks.Q8Bytes;
            var sums = L.Sum4(TokenBlockQ8<F, L, TB, TS, TF>(codes, x0 + at), TokenBlockQ8<F, L, TB, TS, TF>(codes, x1 + at),
                TokenBlockQ8<F, L, TB, TS, TF>(codes, x2 + at), TokenBlockQ8<F, L, TB, TS, TF>(codes, x3 + at));
            acc = Step(sums, d * TokenFloats(x0 + at, x1 + at, x2 + at, x3 + at), acc);
            if (F.HasOffset)
                acc = Vector128.FusedMultiplyAdd(Vector128.Create(F.Offset(row, d)), TokenFloats(x0 + at + 4, x1 + at + 4, x2 + at + 4, x3 + at + 4), acc);
        }
        Store<Four>(acc, y, yStride);
    }

    /// <summary>The floats at four addresses, one per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> TokenFloats(byte* a, byte* b, byte* c, byte* d) => Vector128.Create(*(float*)a, *(float*)b, *(float*)c, *(float*)d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TS TokenBlockQ8<F, L, TB, TS, TF>(TB codes, byte* xb)
        where F : struct, IQ8Dot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var xs = L.Load(xb + ActivationBlocks.Q8Codes);
        return F.SignedCodes ? L.DotSigned(codes, xs, L.Zero) : L.Dot(codes, xs, L.Zero);
    }

    /// <summary>One weight row times four activation rows of Q8_K blocks; y[t · yStride] receives row t's product.</summary>
    // its own compilation: inlined into RowsQ8K beside the matrix-vector kernels, it exhausted the JIT's inlining budget and
    // called its chunks, block ends and code assembly per chunk (a quarter of a 4-sequence decode step of Llama-3.2-1B)
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void DotQ8K<F, L, TB, TS, TF>(byte* row, int blocks, byte* x, nint xStride, float* y, nint yStride)
        where F : struct, IQ8KDot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var acc = Vector128<float>.Zero;
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
            TB m0 = Sums<L, TB, TS, TF>(x0 + at), m1 = Sums<L, TB, TS, TF>(x1 + at), m2 = Sums<L, TB, TS, TF>(x2 + at), m3 = Sums<L, TB, TS, TF>(x3 + at);
            var dx = TokenFloats(x0 + at, x1 + at, x2 + at, x3 + at);
            var main = L.Sum4(WithMins<F, L, TB, TS, TF>(s0, groupMins, m0), WithMins<F, L, TB, TS, TF>(s1, groupMins, m1),
                WithMins<F, L, TB, TS, TF>(s2, groupMins, m2), WithMins<F, L, TB, TS, TF>(s3, groupMins, m3));
            acc = Step(main, F.Scale(row) * dx, acc);
            if (F.Mins == KMins.OwnScale)
            {
                var own = L.Sum4(OwnMins<F, L, TB, TS, TF>(groupMins, m0), OwnMins<F, L, TB, TS, TF>(groupMins, m1),
                    OwnMins<F, L, TB, TS, TF>(groupMins, m2), OwnMins<F, L, TB, TS, TF>(groupMins, m3));
                acc = Step(own, F.MinScale(row) * dx, acc);
            }
        }
        Store<Four>(acc, y, yStride);
    }

    /// <summary>The per-16 code sums of the Q8_K activation block at <paramref name="xb"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TB Sums<L, TB, TS, TF>(byte* xb)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        L.LoadShorts((short*)(xb + ActivationBlocks.Q8KSums));

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
}
