using Moxing.Core.Kernels;
using Moxing.Core.Kernels.Integer;
using Moxing.Core.Tensors;
using Moxing.Core.Tests.Quantization;

namespace Moxing.Core.Tests.Kernels;

public unsafe class IntegerKernelTests
{
    public static TheoryData<DType> IntegerTypes() =>
        new(RandomWeights.Types.Concat(RandomWeights.GridTypes).Where(t => IntegerKernel.TryFor(t, SimdPath.Scalar, out _)));

    private static byte[] QuantizeActivations(float[] x, int k, int n, int blockSize, SimdPath path)
    {
        var bytes = new byte[ActivationBlocks.RowBytes(k, blockSize) * n];
        fixed (float* px = x)
        fixed (byte* dst = bytes)
            ActivationQuantizer.Quantize(px, k, n, blockSize, dst, path);
        return bytes;
    }

    /// <summary>The activations the quantized blocks stand for: d · q.</summary>
    private static float[] Dequantize(byte[] blocks, int count, int blockSize)
    {
        var (bytes, codes) = blockSize == ActivationBlocks.Q8Size
            ? (ActivationBlocks.Q8Bytes, ActivationBlocks.Q8Codes)
            : (ActivationBlocks.Q8KBytes, ActivationBlocks.Q8KCodes);
        var x = new float[count];
        for (var i = 0; i < count; i++)
        {
            var block = i / blockSize * bytes;
            x[i] = BitConverter.ToSingle(blocks, block) * (sbyte)blocks[block + codes + i % blockSize];
        }
        return x;
    }

    [Theory]
    [InlineData(ActivationBlocks.Q8Size)]
    [InlineData(ActivationBlocks.Q8KSize)]
    public void ActivationQuantizationIsIdenticalOnEveryPathAndWithinHalfAStep(int blockSize)
    {
        var rng = new Random(5 + blockSize);
        const int k = 1024, n = 3;
        var x = RandomWeights.Floats(k * n, rng);
        for (var i = 0; i < 40; i++) x[rng.Next(x.Length)] *= 50; // outliers set some blocks' scales
        x.AsSpan(256, 256).Clear(); // an all-zero block
        var expected = QuantizeActivations(x, k, n, blockSize, SimdPath.Scalar);
        foreach (var path in SimdPaths.Supported)
            Assert.True(expected.AsSpan().SequenceEqual(QuantizeActivations(x, k, n, blockSize, path)), $"{path} differs from the scalar reference");

        var decoded = Dequantize(expected, k * n, blockSize);
        var blockBytes = blockSize == ActivationBlocks.Q8Size ? ActivationBlocks.Q8Bytes : ActivationBlocks.Q8KBytes;
        for (var b = 0; b < k * n / blockSize; b++)
        {
            var d = BitConverter.ToSingle(expected, b * blockBytes);
            var amax = x.AsSpan(b * blockSize, blockSize).ToArray().Max(MathF.Abs);
            Assert.Equal(amax / 127, d);
            for (var i = b * blockSize; i < (b + 1) * blockSize; i++)
                Assert.True(MathF.Abs(x[i] - decoded[i]) <= d / 2 * 1.0001f, $"element {i}: {x[i]} became {decoded[i]}");
            if (blockSize == ActivationBlocks.Q8Size)
            {
                var codes = expected.AsSpan(b * blockBytes + ActivationBlocks.Q8Codes, 32).ToArray().Sum(c => (sbyte)c);
                Assert.Equal(d * codes, BitConverter.ToSingle(expected, b * blockBytes + 4));
            }
            else
            {
                for (var g = 0; g < 16; g++)
                {
                    var codes = expected.AsSpan(b * blockBytes + ActivationBlocks.Q8KCodes + 16 * g, 16).ToArray().Sum(c => (sbyte)c);
                    Assert.Equal(codes, BitConverter.ToInt16(expected, b * blockBytes + ActivationBlocks.Q8KSums + 2 * g));
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(IntegerTypes))]
    public void EveryPathMatchesDequantizedWeightsTimesQuantizedActivations(DType type)
    {
        var rng = new Random(31 + (int)type);
        const int rows = 7; // odd: the matrix-vector path's row pairs and its last single row
        var cols = 3 * 256;
        using var w = new NativeTensor(type, rows, cols, RandomWeights.Bytes(type, rows * cols, rng));
        Assert.True(IntegerKernel.TryFor(type, SimdPath.Scalar, out var kernel));
        foreach (var n in new[] { 1, 4, 7 })
        {
            var x = RandomWeights.Floats(n * cols, rng);
            var xq = Dequantize(QuantizeActivations(x, cols, n, kernel.ActivationBlockSize, SimdPath.Scalar), n * cols, kernel.ActivationBlockSize);
            foreach (var path in SimdPaths.Supported)
            {
                var y = new float[n * rows];
                MatMul.Rows(w.Tensor, x, n, y, 0, rows, path);
                for (var r = 0; r < rows; r++)
                {
                    var weights = Reference.Weights(type, w.Tensor.Row(r), cols);
                    for (var t = 0; t < n; t++)
                    {
                        var (expected, magnitude) = Reference.Dot(weights, xq.AsSpan(t * cols, cols));
                        Reference.AssertClose(expected, magnitude, y[t * rows + r], $"{type} n={n} row {r} token {t} on {path}");
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(IntegerTypes))]
    public void MatrixVectorRowGroupsEqualOneRowAtATimeBitForBit(DType type) => RowGroupsEqualOneRowAtATime(type, 2 * 256);

    [Theory]
    [MemberData(nameof(IntegerTypes))]
    public void MatrixVectorRowGroupsOverRowsLongerThanThePrefetchDistanceEqualOneRowAtATime(DType type) =>
        // 52 super-blocks: every format's row passes 4 KiB, so the K kernels' pairs run both prefetch spans (in the row, past it)
        RowGroupsEqualOneRowAtATime(type, 52 * 256);

    private static void RowGroupsEqualOneRowAtATime(DType type, int cols)
    {
        // 11 rows: two groups of four, a pair and a single row; the ranges below start and end inside groups
        var rng = new Random(91 + (int)type);
        const int rows = 11, tokens = 3;
        using var w = new NativeTensor(type, rows, cols, RandomWeights.Bytes(type, rows * cols, rng));
        var x = RandomWeights.Floats(tokens * cols, rng);
        foreach (var path in SimdPaths.Supported)
        {
            var single = new float[tokens * rows];
            for (var t = 0; t < tokens; t++)
                for (var r = 0; r < rows; r++)
                    MatMul.Rows(w.Tensor, x.AsSpan(t * cols, cols), 1, single.AsSpan(t * rows, rows), r, r + 1, path);
            foreach (var (start, end) in new[] { (0, rows), (3, 10), (1, 4), (5, 8), (6, 7) })
            {
                var y = new float[rows];
                MatMul.Rows(w.Tensor, x.AsSpan(0, cols), 1, y, start, end, path);
                for (var r = start; r < end; r++)
                    AssertSameBits(single[r], y[r], $"{type} rows [{start}, {end}) row {r} on {path}");
            }
            // two and three activation rows are too few for panels: each is multiplied as a matrix-vector product
            foreach (var n in new[] { 2, tokens })
            {
                var y = new float[n * rows];
                MatMul.Rows(w.Tensor, x.AsSpan(0, n * cols), n, y, 0, rows, path);
                for (var i = 0; i < y.Length; i++)
                    AssertSameBits(single[i], y[i], $"{type} n={n} token {i / rows} row {i % rows} on {path}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(IntegerTypes))]
    public void EveryTokenGetsItsLoneBitsAmongAnyNumberOfTokensOnEveryPath(DType type)
    {
        // a batched step equals each sequence's lone step only if a token's product does not depend on how many tokens share
        // the product (one: the matrix-vector kernels; two to eleven: four-token tiles; more: panels) nor, here, on the path
        var rng = new Random(57 + (int)type);
        const int rows = 19, n = 17; // four-row and pair groups with a last single row; 17 tokens pass every panel threshold
        var cols = 3 * 256;
        using var w = new NativeTensor(type, rows, cols, RandomWeights.Bytes(type, rows * cols, rng));
        var x = RandomWeights.Floats(n * cols, rng);
        var alone = new float[n * rows];
        for (var t = 0; t < n; t++)
            MatMul.Rows(w.Tensor, x.AsSpan(t * cols, cols), 1, alone.AsSpan(t * rows, rows), 0, rows, SimdPath.Scalar);
        foreach (var path in SimdPaths.Supported)
            for (var count = 1; count <= n; count++)
            {
                var y = new float[count * rows];
                MatMul.Rows(w.Tensor, x.AsSpan(0, count * cols), count, y, 0, rows, path);
                for (var i = 0; i < y.Length; i++)
                    AssertSameBits(alone[i], y[i], $"{type} among {count} tokens, token {i / rows} row {i % rows} on {path}");
            }
    }

    private static void AssertSameBits(float expected, float actual, string what) =>
        Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual), $"{what}: {actual:R} vs {expected:R} one row at a time");

    [Theory]
    [MemberData(nameof(IntegerTypes))]
    public void IntegerProductStaysCloseToTheFloatProduct(DType type)
    {
        // what activation quantization costs: a small fraction of the product's scale, as in llama.cpp
        var rng = new Random(3 + (int)type);
        const int rows = 8, cols = 1024;
        using var w = new NativeTensor(type, rows, cols, RandomWeights.Bytes(type, rows * cols, rng));
        var x = RandomWeights.Floats(cols, rng);
        float[] integer = new float[rows], floats = new float[rows];
        MatMul.Rows(w.Tensor, x, 1, integer, 0, rows, SimdPaths.Best);
        MatMul.Rows(w.Tensor, x, 1, floats, 0, rows, SimdPaths.Best, quantizeActivations: false);
        for (var r = 0; r < rows; r++)
        {
            var (_, magnitude) = Reference.Dot(Reference.Weights(type, w.Tensor.Row(r), cols), x);
            Assert.True(Math.Abs(integer[r] - floats[r]) <= 0.01 * magnitude, $"{type} row {r}: {integer[r]} vs {floats[r]} (scale {magnitude})");
        }
    }

    [Theory]
    [MemberData(nameof(IntegerTypes))]
    public void PanelProductsEqualTheScalarPanelReferenceBitForBit(DType type)
    {
        var rng = new Random(71 + (int)type);
        const int rows = 21; // two whole panels and a partial one; token counts of whole and partial four-token tiles
        var cols = 2 * 256;
        using var w = new NativeTensor(type, rows, cols, RandomWeights.Bytes(type, rows * cols, rng));
        Assert.True(IntegerKernel.TryFor(type, SimdPath.Scalar, out var reference));
        Assert.InRange(reference.PanelTokens, 4, 12);
        foreach (var n in new[] { 4, 6, 8, 9, 12, 13, 16, 17 }.Where(n => n >= reference.PanelTokens))
        {
            var x = RandomWeights.Floats(n * cols, rng);
            var expected = new float[n * rows];
            MatMul.Rows(w.Tensor, x, n, expected, 0, rows, SimdPath.Scalar);
            foreach (var path in SimdPaths.Supported)
            {
                Assert.True(IntegerKernel.TryFor(type, path, out var kernel));
                if (!kernel.Panels) continue;
                Assert.Equal(reference.PanelTokens, kernel.PanelTokens);
                var y = new float[n * rows];
                MatMul.Rows(w.Tensor, x, n, y, 0, rows, path);
                for (var i = 0; i < y.Length; i++)
                    Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(y[i]),
                        $"{type} n={n} token {i / rows} row {i % rows} on {path}: {y[i]:R} vs scalar {expected[i]:R}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(IntegerTypes))]
    public void PanelProductsDoNotSaturateAtExtremeCodes(DType type)
    {
        // every code byte at its largest (0x7F, 0xFF) or most negative (0x80) value and every activation at ±127: the byte
        // products of the pmaddubsw tiles must still add up exactly, as the scalar reference's do
        const int rows = 16;
        var cols = 2 * 256;
        Assert.True(IntegerKernel.TryFor(type, SimdPath.Scalar, out var reference));
        var n = reference.PanelTokens;
        foreach (var fill in new byte[] { 0x7F, 0x80, 0xFF })
        {
            using var w = new NativeTensor(type, rows, cols, RandomWeights.Filled(type, rows * cols, fill));
            foreach (var sign in new[] { 1f, -1f })
            {
                var x = Enumerable.Repeat(sign, n * cols).ToArray();
                var expected = new float[n * rows];
                MatMul.Rows(w.Tensor, x, n, expected, 0, rows, SimdPath.Scalar);
                foreach (var path in SimdPaths.Supported)
                {
                    var y = new float[n * rows];
                    MatMul.Rows(w.Tensor, x, n, y, 0, rows, path);
                    Assert.True(expected.AsSpan().SequenceEqual(y), $"{type} codes 0x{fill:X2}, activations {sign} on {path}: {y[0]:R} vs scalar {expected[0]:R}");
                }
            }
        }
    }

    [Theory]
    [InlineData(DType.Q5_0)]
    [InlineData(DType.Q8_0)]
    [InlineData(DType.Q4_K)]
    [InlineData(DType.Q6_K)]
    public void ParallelPanelProductEqualsOneThread(DType type)
    {
        var rng = new Random(13);
        const int rows = 77, n = Panel.SuperTokens + 1; // past every format's panel threshold, ending in a partial tile
        var cols = 512;
        using var w = new NativeTensor(type, rows, cols, RandomWeights.Bytes(type, rows * cols, rng));
        var x = RandomWeights.Floats(n * cols, rng);
        float[] single = new float[n * rows], parallel = new float[n * rows];
        MatMul.Rows(w.Tensor, x, n, single, 0, rows);
        using var pool = new WorkerPool(3);
        MatMul.Parallel(pool, w.Tensor, x, n, parallel, SimdPaths.Best);
        Assert.Equal(single, parallel);
    }
}
