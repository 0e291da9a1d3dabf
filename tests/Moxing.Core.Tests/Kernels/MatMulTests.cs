using Moxing.Core.Kernels;
using Moxing.Core.Tensors;
using Moxing.Core.Tests.Quantization;

namespace Moxing.Core.Tests.Kernels;

public class MatMulTests
{
    private static NativeTensor RandomMatrix(DType type, int rows, int cols, Random rng) =>
        new(type, rows, cols, RandomWeights.Bytes(type, rows * cols, rng));

    [Theory]
    [MemberData(nameof(RandomWeights.TypeData), MemberType = typeof(RandomWeights))]
    public void FloatActivationsMatchDequantizeThenDot(DType type)
    {
        var rng = new Random(11 + (int)type);
        var cols = type.BlockSize() == 1 ? 77 : 9 * type.BlockSize(); // 9 blocks of 256 exceed one decode chunk
        const int rows = 5;
        using var w = RandomMatrix(type, rows, cols, rng);
        foreach (var n in new[] { 1, 2, 5 })
        {
            var x = RandomWeights.Floats(n * cols, rng);
            foreach (var path in SimdPaths.Supported)
            {
                var y = new float[n * rows];
                MatMul.Rows(w.Tensor, x, n, y, 0, rows, path, quantizeActivations: false);
                for (var r = 0; r < rows; r++)
                {
                    var weights = Reference.Weights(type, w.Tensor.Row(r), cols);
                    for (var t = 0; t < n; t++)
                    {
                        var (expected, magnitude) = Reference.Dot(weights, x.AsSpan(t * cols, cols));
                        Reference.AssertClose(expected, magnitude, y[t * rows + r], $"{type} n={n} row {r} token {t} on {path}");
                    }
                }
            }
        }
    }

    // y = Wᵀ·x (MLA's queries absorbed through kv_b's key rows): every row decoded once and added, scaled, into each output.
    [Theory]
    [MemberData(nameof(RandomWeights.TypeData), MemberType = typeof(RandomWeights))]
    public void TransposedRowsMatchDequantizeThenSum(DType type)
    {
        var rng = new Random(17 + (int)type);
        int rows = 6, cols = type.BlockSize() == 1 ? 40 : 2 * type.BlockSize();
        using var w = RandomMatrix(type, rows, cols, rng);
        foreach (var n in new[] { 1, 3 })
        {
            var x = RandomWeights.Floats(n * rows, rng);
            var y = new float[n * cols];
            MatMul.TransposedRows(w.Tensor, x, n, y);
            var weights = Enumerable.Range(0, rows).Select(r => Reference.Weights(type, w.Tensor.Row(r), cols)).ToArray();
            for (var t = 0; t < n; t++)
                for (var c = 0; c < cols; c++)
                {
                    double expected = 0, magnitude = 0;
                    for (var r = 0; r < rows; r++)
                    {
                        expected += (double)weights[r][c] * x[t * rows + r];
                        magnitude += Math.Abs((double)weights[r][c] * x[t * rows + r]);
                    }
                    Reference.AssertClose(expected, magnitude, y[t * cols + c], $"{type} n={n} column {c} token {t}");
                }
        }
    }

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    [InlineData(DType.Q6_K)]
    public void FloatProductsGiveAVectorTheSameBitsAloneOrAmongOthers(DType type)
    {
        // an MoE router (F32 in quantized files) sends a token to the same experts alone and in a batch only if the token's
        // products do not depend on the other vectors of the product, nor on which rows share the token's row range; a plain
        // type's one-vector product takes its own kernel (F16 and BF16: HalfMatVec), a block type's the float reference
        var rng = new Random(23 + (int)type);
        const int rows = 7, n = 9; // a group of four rows and three single ones; two tiles of four vectors and one more
        var plain = type.BlockSize() == 1;
        var cols = plain ? 2100 : 9 * type.BlockSize(); // three decode chunks, and a tail past the last whole vector
        using var w = RandomMatrix(type, rows, cols, rng);
        var x = RandomWeights.Floats(n * cols, rng);
        foreach (var path in SimdPaths.Supported)
        {
            var alone = new float[n * rows];
            for (var t = 0; t < n; t++)
                for (var r = 0; r < rows; r++)
                    MatMul.Rows(w.Tensor, x.AsSpan(t * cols, cols), 1, alone.AsSpan(t * rows, rows), r, r + 1, path, quantizeActivations: plain);
            for (var count = 1; count <= n; count++)
            {
                var y = new float[count * rows];
                MatMul.Rows(w.Tensor, x.AsSpan(0, count * cols), count, y, 0, rows, path, quantizeActivations: plain);
                AssertSameBits(alone, y, rows, $"{type} among {count} vectors on {path}");
            }
        }
    }

    [Theory]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    [InlineData(DType.F32)]
    public void HalfAndFloatProductsGiveEachVectorItsBitsInBatchesOfAnySize(DType type)
    {
        // the batch sizes a server steps with (1, 2, 3, 5, 16) and the four-vector tiles' edges, split between threads as
        // MatMul.Parallel splits them, against each vector alone through its one-vector kernel
        var rng = new Random(31 + (int)type);
        const int rows = 37, cols = 1024 + 256 + 24 + 5; // a whole decode chunk, whole cache lines, whole lane vectors, a tail
        using var w = RandomMatrix(type, rows, cols, rng);
        int[] sizes = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17];
        var x = RandomWeights.Floats(sizes[^1] * cols, rng);
        var alone = new float[sizes[^1] * rows];
        for (var t = 0; t < sizes[^1]; t++) MatMul.Parallel(w.Tensor, x.AsSpan(t * cols, cols), 1, alone.AsSpan(t * rows, rows));
        using var pool = new WorkerPool(3);
        foreach (var n in sizes)
        {
            var y = new float[n * rows];
            MatMul.Parallel(pool, w.Tensor, x.AsSpan(0, n * cols), n, y, SimdPaths.Best);
            AssertSameBits(alone, y, rows, $"{type} in a batch of {n}");
        }
    }

    // y (vectors of `rows` outputs) holds the bits of the first vectors of `alone`.
    private static void AssertSameBits(float[] alone, float[] y, int rows, string what)
    {
        for (var i = 0; i < y.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(alone[i]) == BitConverter.SingleToInt32Bits(y[i]),
                $"{what}, vector {i / rows} row {i % rows}: {y[i]:R} vs {alone[i]:R} alone");
    }

    [Fact]
    public void RowRangeWritesOnlyItsRows()
    {
        var rng = new Random(4);
        using var w = RandomMatrix(DType.Q4_K, 6, 256, rng);
        var x = RandomWeights.Floats(2 * 256, rng);
        var full = new float[12];
        MatMul.Rows(w.Tensor, x, 2, full, 0, 6);
        var part = Enumerable.Repeat(float.NaN, 12).ToArray();
        MatMul.Rows(w.Tensor, x, 2, part, 2, 4);
        for (var t = 0; t < 2; t++)
            for (var r = 0; r < 6; r++)
            {
                if (r is >= 2 and < 4) Assert.Equal(full[t * 6 + r], part[t * 6 + r]);
                else Assert.True(float.IsNaN(part[t * 6 + r]), $"row {r} of token {t} was written");
            }
    }

    [Theory]
    [InlineData(DType.Q8_0, 1)]
    [InlineData(DType.Q4_K, 1)]
    [InlineData(DType.Q6_K, 3)]
    [InlineData(DType.F16, 1)]
    [InlineData(DType.F16, 2)]
    [InlineData(DType.F16, 6)]
    [InlineData(DType.Q4_K, 9)]
    public void ParallelEqualsSingleThreaded(DType type, int n)
    {
        var rng = new Random(9);
        const int rows = 103, cols = 512;
        using var w = RandomMatrix(type, rows, cols, rng);
        var x = RandomWeights.Floats(n * cols, rng);
        var single = new float[n * rows];
        MatMul.Rows(w.Tensor, x, n, single, 0, rows);
        using var pool = new WorkerPool(3);
        foreach (var p in new[] { pool, WorkerPool.Shared })
        {
            var parallel = new float[n * rows];
            MatMul.Parallel(p, w.Tensor, x, n, parallel, SimdPaths.Best);
            Assert.Equal(single, parallel);
        }
        var shared = new float[n * rows];
        MatMul.Parallel(w.Tensor, x, n, shared);
        Assert.Equal(single, shared);
    }

    [Fact]
    public void WarmCallsAllocateNothing()
    {
        var rng = new Random(6);
        using var w = RandomMatrix(DType.Q4_K, 64, 512, rng);
        var x = RandomWeights.Floats(3 * 512, rng);
        var y = new float[3 * 64];
        using var half = RandomMatrix(DType.F16, 64, 512, rng);
        using var pool = new WorkerPool(2);
        for (var warm = 0; warm < 3; warm++)
        {
            MatMul.Parallel(pool, half.Tensor, x.AsSpan(0, 512), 1, y, SimdPaths.Best);
            MatMul.Parallel(pool, w.Tensor, x.AsSpan(0, 512), 1, y, SimdPaths.Best);
            MatMul.Parallel(pool, w.Tensor, x, 3, y, SimdPaths.Best);
            MatMul.Rows(w.Tensor, x, 3, y, 0, 64);
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 20; i++)
        {
            MatMul.Parallel(pool, half.Tensor, x.AsSpan(0, 512), 1, y, SimdPaths.Best);
            MatMul.Parallel(pool, w.Tensor, x.AsSpan(0, 512), 1, y, SimdPaths.Best);
            MatMul.Parallel(pool, w.Tensor, x, 3, y, SimdPaths.Best);
            MatMul.Rows(w.Tensor, x, 3, y, 0, 64);
        }
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void BadShapesAreRejected()
    {
        using var w = new NativeTensor(DType.Q8_0, 4, 64, new byte[4 * 68]);
        Assert.Throws<ArgumentException>(() => MatMul.Rows(w.Tensor, new float[63], 1, new float[4], 0, 4));
        Assert.Throws<ArgumentException>(() => MatMul.Rows(w.Tensor, new float[128], 2, new float[7], 0, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => MatMul.Rows(w.Tensor, new float[64], 1, new float[4], 2, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => MatMul.Rows(w.Tensor, new float[64], 1, new float[4], 3, 2));
    }
}
