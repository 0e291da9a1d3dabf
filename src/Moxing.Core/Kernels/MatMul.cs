using Moxing.Core.Kernels.Half;
using Moxing.Core.Kernels.Integer;
using Moxing.Core.Kernels.Repack;
using Moxing.Core.Tensors;

namespace Moxing.Core.Kernels;

/// <summary>Products of a stored weight matrix [rows, k] with n activation vectors [n, k]: y[t, r] = w.row(r) · x[t, :].</summary>
/// <remarks>Block-quantized weights multiply in integers with activations quantized once per product to 8 bits (as
/// llama.cpp does, with the same small rounding of the activations); float weights multiply with the floats.</remarks>
public static unsafe partial class MatMul
{
    /// <summary>Elements decoded at once when several vectors share a row (four rows' chunks, 16 KiB, stay in L1 while every
    /// vector reads them): every float product sums each chunk apart, then the chunks' sums in turn.</summary>
    internal const int ChunkElements = 1024;

    /// <summary>Activation floats of one chunk read by all the rows of a range before the next vectors' (256 KiB: they stay in L2
    /// between the rows; the rows' chunks are decoded again for each block of vectors).</summary>
    private const int BlockFloats = 65536;

    /// <summary>Computes y[t, r] for t &lt; <paramref name="n"/> and r in [<paramref name="rowStart"/>, <paramref name="rowEnd"/>); y is [n, rows].</summary>
    public static void Rows(StoredTensor w, ReadOnlySpan<float> x, int n, Span<float> y, int rowStart, int rowEnd) =>
        Rows(w, x, n, y, rowStart, rowEnd, SimdPaths.Best);

    /// <summary>As <see cref="Rows(StoredTensor, ReadOnlySpan{float}, int, Span{float}, int, int)"/> on a chosen instruction set.</summary>
    public static void Rows(StoredTensor w, ReadOnlySpan<float> x, int n, Span<float> y, int rowStart, int rowEnd, SimdPath path) =>
        Rows(w, x, n, y, rowStart, rowEnd, path, quantizeActivations: true);

    /// <summary>As <see cref="Rows(StoredTensor, ReadOnlySpan{float}, int, Span{float}, int, int, SimdPath)"/>; float activations
    /// throughout when <paramref name="quantizeActivations"/> is false (the reference the integer kernels are checked against).</summary>
    internal static void Rows(StoredTensor w, ReadOnlySpan<float> x, int n, Span<float> y, int rowStart, int rowEnd, SimdPath path, bool quantizeActivations)
    {
        var (k, rows) = Check(w, x, n, y);
        if (rowStart < 0 || rowEnd > rows || rowStart > rowEnd)
            throw new ArgumentOutOfRangeException(nameof(rowStart), $"rows [{rowStart}, {rowEnd}) are not within [0, {rows}) of {w.Name}");
        if (!SimdPaths.IsSupported(path))
            throw new PlatformNotSupportedException($"{path} kernels are not supported by this processor");
        fixed (float* px = x)
        fixed (float* py = y)
        {
            if (quantizeActivations && n == 1 && HalfMatVec.TryPrepare(w.Type, px, k, path, out var prepared))
            {
                HalfMatVec.Rows(w.Type, w.Data, (nint)w.RowBytes, k, prepared, px, py, rowStart, rowEnd, path);
                return;
            }
            if (quantizeActivations && IntegerKernel.TryFor(w.Type, path, out var integer))
            {
                var units = Blocks(w, k);
                var xq = Quantize(null, px, k, n, integer.ActivationBlockSize, path, out var xStride);
                integer.Rows(w.Data, (nint)w.RowBytes, units, xq, xStride, n, py, rows, rowStart, rowEnd);
                return;
            }
            FloatRows(w, px, k, n, py, rows, rowStart, rowEnd, path);
        }
    }

    /// <summary>y[r] = row r · x for one vector and r in [rowStart, rowEnd), each weight widened to a float: the order of
    /// every float product (<see cref="SharedDecode"/>), for the rows <see cref="HalfMatVec"/> cannot place.</summary>
    internal static void WidenedRows(DType type, byte* w, nint rowBytes, int k, float* x, float* y, int rowStart, int rowEnd, SimdPath path) =>
        SharedDecode(RowKernel.For(type, path), false, path, w, rowBytes, k, x, k, 1, y, rowEnd, rowStart, rowEnd);

    private static void FloatRows(StoredTensor w, float* px, int k, int n, float* py, int rows, int rowStart, int rowEnd, SimdPath path)
    {
        var kernel = RowKernel.For(w.Type, path);
        var rowBytes = w.RowBytes;
        var units = kernel.Units(k, checked((int)rowBytes), w.Type);
        SharedDecode(kernel, w.Type == DType.F32, path, w.Data, rowBytes, units, px, k, n, py, rows, rowStart, rowEnd);
    }

    // Blocks per row of a block format, checking that the row's bytes hold exactly them.
    private static int Blocks(StoredTensor w, int k) => RowKernel.For(w.Type, SimdPath.Scalar).Units(k, checked((int)w.RowBytes), w.Type);

    // Activation rows from which quantizing them is split across the pool (a row of a 1k-wide layer takes about a microsecond).
    private const int ParallelQuantizeRows = 8;

    /// <summary>Quantizes n rows of k activations into this thread's buffer, rows split across <paramref name="pool"/> when there
    /// are many (null: on this thread); returns the buffer and its row stride.</summary>
    private static byte* Quantize(WorkerPool? pool, float* x, int k, int n, int blockSize, SimdPath path, out nint stride)
    {
        stride = ActivationBlocks.RowBytes(k, blockSize);
        var buffer = ActivationBuffer.Get((long)stride * n);
        if (pool != null && n >= ParallelQuantizeRows)
        {
            var job = new QuantizeJob(x, k, blockSize, buffer, stride, path);
            pool.ParallelFor(n, ref job);
        }
        else ActivationQuantizer.Quantize(x, k, n, blockSize, buffer, path);
        return buffer;
    }

    /// <summary>All of y = w·x, rows split across <see cref="WorkerPool.Shared"/>.</summary>
    public static void Parallel(StoredTensor w, ReadOnlySpan<float> x, int n, Span<float> y) =>
        Parallel(WorkerPool.Shared, w, x, n, y, SimdPaths.Best);

    /// <summary>All of y = w·x, rows split across <paramref name="pool"/>.</summary>
    public static void Parallel(WorkerPool pool, StoredTensor w, ReadOnlySpan<float> x, int n, Span<float> y, SimdPath path)
    {
        var (k, rows) = Check(w, x, n, y);
        if (!SimdPaths.IsSupported(path))
            throw new PlatformNotSupportedException($"{path} kernels are not supported by this processor");
        // block formats (activations quantized once, here, and read by every thread) and F16/BF16 times one vector
        if (TryOneLoop(pool, path, x, k, n, 1, new SharedProduct(w), y, default, default, default, default)) return;
        var job = new RowsJob(w, x, n, y, path);
        pool.ParallelFor(rows, ref job);
    }

    /// <summary>All of y = w·x for a repacked matrix, groups of rows split across <see cref="WorkerPool.Shared"/>.</summary>
    public static void Parallel(RepackedMatrix w, ReadOnlySpan<float> x, int n, Span<float> y) =>
        Parallel(WorkerPool.Shared, w, x, n, y, SimdPaths.Best);

    /// <summary>All of y = w·x for a repacked matrix, groups of eight rows split across <paramref name="pool"/>: one vector runs
    /// the repacked kernel where <paramref name="path"/> has it; otherwise each group is unpacked to file rows for the integer kernels.</summary>
    public static void Parallel(WorkerPool pool, RepackedMatrix w, ReadOnlySpan<float> x, int n, Span<float> y, SimdPath path)
    {
        var k = Check(w.Source, x, n, y).K;
        if (!SimdPaths.IsSupported(path))
            throw new PlatformNotSupportedException($"{path} kernels are not supported by this processor");
        // always one loop: a repacked matrix reads Q8 or Q8_K activations, which any input can be quantized to
        _ = TryOneLoop(pool, path, x, k, n, 1, new SharedProduct(w.Source, w), y, default, default, default, default);
    }

    private static (int K, int Rows) Check(StoredTensor w, ReadOnlySpan<float> x, int n, Span<float> y)
    {
        if (w.Shape.Length is < 1 or > 2)
            throw new ArgumentException($"{w.Name} has shape [{string.Join(", ", w.Shape)}]; a matrix product needs [rows, k]", nameof(w));
        var k = checked((int)w.RowLength);
        var rows = checked((int)w.RowCount);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (x.Length < (long)n * k)
            throw new ArgumentException($"x holds {x.Length} floats; {n} vectors of {k} for {w.Name} need {(long)n * k}", nameof(x));
        if (y.Length < (long)n * rows)
            throw new ArgumentException($"y holds {y.Length} floats; {n} vectors of {rows} outputs of {w.Name} need {(long)n * rows}", nameof(y));
        return (k, rows);
    }

    /// <summary>y[t, r] for t &lt; <paramref name="n"/> and r in [<paramref name="rowStart"/>, <paramref name="rowEnd"/>): each chunk
    /// of four rows decoded once per block of vectors (<see cref="BlockFloats"/>) and multiplied into each of them, four vectors at
    /// a time, so each loaded weight serves four vectors and each loaded activation four rows. Every (row, vector) pair is summed
    /// in DotFloats4x4's order, whichever kernel takes it: a vector's products are the same bits alone or among others, and
    /// whichever rows share its range.</summary>
    internal static void SharedDecode(in RowKernel kernel, bool floats, SimdPath path,
        byte* w, long rowBytes, int units, float* x, int k, int n, float* y, int rows, int rowStart, int rowEnd)
    {
        var dot4 = RowKernel.DotFloats4(path);
        var dot4x4 = RowKernel.DotFloats4x4(path);
        var chunkUnits = Math.Max(1, ChunkElements / kernel.UnitSize);
        var chunk = chunkUnits * kernel.UnitSize;
        // the decoded chunks on a cache line's boundary (lane vectors split across lines cost two loads)
        var unaligned = stackalloc float[4 * chunk + 16];
        var scratch = (float*)(((nint)unaligned + 63) & ~(nint)63);
        var single = stackalloc float[4];
        var block = Math.Max(4, BlockFloats / chunk / 4 * 4);
        for (var u = 0; u < units; u += chunkUnits)
        {
            var count = Math.Min(chunkUnits, units - u);
            var elements = count * kernel.UnitSize;
            var offset = u * kernel.UnitSize;
            var first = u == 0;
            for (var tb = 0; tb < n; tb += block)
            {
                var te = Math.Min(n, tb + block);
                for (var r = rowStart; r < rowEnd; r += r + 4 <= rowEnd ? 4 : 1)
                {
                    var group = r + 4 <= rowEnd ? 4 : 1;
                    var row = w + r * rowBytes;
                    // float32 rows are used in place; other types are decoded into the scratch chunks
                    var decoded = floats ? (float*)row + offset : scratch;
                    var stride = floats ? (nint)(rowBytes / sizeof(float)) : chunk;
                    if (!floats)
                        for (var g = 0; g < group; g++)
                            kernel.Dequantize(row + g * rowBytes + (long)u * kernel.UnitBytes, scratch + g * chunk, count);
                    var t = tb;
                    for (; t + 4 <= te; t += 4)
                    {
                        var xt = x + (long)t * k + offset;
                        var yt = y + (long)t * rows + r;
                        if (group == 4) dot4x4(decoded, stride, xt, k, elements, yt, rows, first);
                        else dot4(decoded, xt, k, elements, yt, rows, first);
                    }
                    for (; t < te; t++)
                    {
                        var xt = x + (long)t * k + offset;
                        var yt = y + (long)t * rows + r;
                        // the vector in DotFloats4's place of the row, the group's rows in the vectors' places
                        if (group == 4) dot4(xt, decoded, stride, elements, yt, 1, first);
                        else
                        {
                            // the row times the vector four times over, one kept
                            dot4(decoded, xt, 0, elements, single, 1, true);
                            Accumulate(ref *yt, single[0], first);
                        }
                    }
                }
            }
        }
    }

    private static void Accumulate(ref float dst, float partial, bool first) => dst = first ? partial : dst + partial;

    private ref struct RowsJob(StoredTensor w, ReadOnlySpan<float> x, int n, Span<float> y, SimdPath path) : IParallelJob
    {
        private readonly StoredTensor _w = w;
        private readonly ReadOnlySpan<float> _x = x;
        private readonly Span<float> _y = y;

        public readonly void Execute(int start, int end) => Rows(_w, _x, n, _y, start, end, path, quantizeActivations: false);
    }

    private readonly struct QuantizeJob(float* x, int k, int blockSize, byte* dst, nint stride, SimdPath path) : IParallelJob
    {
        public void Execute(int start, int end) => ActivationQuantizer.Quantize(x + (nint)start * k, k, end - start, blockSize, dst + start * stride, path);
    }

    private readonly struct HalfRowsJob(DType type, byte* w, nint rowBytes, int k, float* prepared, float* x, int n, float* y, int rows, int granule, SimdPath path)
        : IParallelJob
    {
        public void Execute(int start, int end)
        {
            int rowStart = start * granule, rowEnd = Math.Min(end * granule, rows);
            if (n == 1) HalfMatVec.Rows(type, w, rowBytes, k, prepared, x, y, rowStart, rowEnd, path);
            else HalfMatMul.Rows(type, w, rowBytes, k, prepared, n, y, rows, rowStart, rowEnd, path);
        }
    }

    private readonly struct IntegerRowsJob(IntegerKernel kernel, byte* w, nint rowBytes, int units, byte* xq, nint xStride, int n, float* y, int rows, int granule)
        : IParallelJob
    {
        public void Execute(int start, int end) =>
            kernel.Rows(w, rowBytes, units, xq, xStride, n, y, rows, start * granule, Math.Min(end * granule, rows));
    }

    private readonly struct RepackedRowsJob(RepackedMatrix w, IntegerKernel kernel, byte* xq, nint xStride, int n, float* y, int rows, bool vector)
        : IParallelJob
    {
        [ThreadStatic] private static AlignedScratch? _rows;

        public void Execute(int start, int end)
        {
            if (vector && n == 1)
            {
                w.Rows(xq, y, start, end);
                return;
            }
            if (vector && w.HasPanels)
            {
                w.Panels(xq, xStride, n, y, start, end);
                return;
            }
            var rowBytes = (nint)w.Source.RowBytes;
            var scratch = (_rows ??= new AlignedScratch()).Get(RepackedMatrix.GroupRows * rowBytes);
            for (var g = start; g < end; g++)
            {
                w.Unpack(g, scratch, rowBytes);
                // the kernel reads row r at base + r · rowBytes: a base set back by the group's first row finds its rows in the scratch
                var first = g * RepackedMatrix.GroupRows;
                kernel.Rows(scratch - first * rowBytes, rowBytes, w.Blocks, xq, xStride, n, y, rows, first, first + RepackedMatrix.GroupRows);
            }
        }
    }
}
