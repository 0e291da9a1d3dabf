using Moxing.Core.Kernels;
using Moxing.Core.Tensors;
using Moxing.Core.Tests.Quantization;

namespace Moxing.Core.Tests.Kernels;

/// <summary>The F16 and BF16 matrix-vector kernel that places each weight's bits instead of widening it (F16: the vector scaled by 2^112).</summary>
public class HalfMatVecTests
{
    // 64 columns fill whole loads on AVX2 (16 halves) and AVX-512 (32); the 5 after them take the scalar tail
    private const int Columns = 69;

    private static byte[] Halves(IEnumerable<ushort> bits) => bits.SelectMany(BitConverter.GetBytes).ToArray();

    [Fact]
    public void EveryFiniteHalfMultipliesExactlyAtEveryPosition()
    {
        var rng = new Random(3);
        var x = RandomWeights.Floats(Columns, rng);
        var finite = Enumerable.Range(0, 65536).Select(i => (ushort)i).Where(h => (h & 0x7FFF) < 0x7C00).ToArray();
        foreach (var path in SimdPaths.Supported)
            for (var start = 0; start < finite.Length; start += Columns)
            {
                // row r holds one half, at column r: its product is y[r], exactly
                var count = Math.Min(Columns, finite.Length - start);
                var bits = new ushort[Columns * Columns];
                for (var r = 0; r < count; r++) bits[r * Columns + r] = finite[start + r];
                using var w = new NativeTensor(DType.F16, Columns, Columns, Halves(bits));
                var y = new float[Columns];
                MatMul.Rows(w.Tensor, x, 1, y, 0, Columns, path);
                for (var r = 0; r < count; r++)
                {
                    var expected = (float)BitConverter.UInt16BitsToHalf(finite[start + r]) * x[r];
                    Assert.True(expected.Equals(y[r]), $"half 0x{finite[start + r]:X4} at column {r} on {path}: {y[r]} != {expected}");
                }
            }
    }

    [Fact]
    public void EveryBF16MultipliesExactlyAtEveryPosition()
    {
        var rng = new Random(4);
        var x = RandomWeights.Floats(Columns, rng);
        foreach (var path in SimdPaths.Supported)
            for (var start = 0; start < 65536; start += Columns)
            {
                var count = Math.Min(Columns, 65536 - start);
                var bits = new ushort[Columns * Columns];
                for (var r = 0; r < count; r++) bits[r * Columns + r] = (ushort)(start + r);
                using var w = new NativeTensor(DType.BF16, Columns, Columns, Halves(bits));
                var y = new float[Columns];
                MatMul.Rows(w.Tensor, x, 1, y, 0, Columns, path);
                for (var r = 0; r < count; r++)
                {
                    var expected = BitConverter.Int32BitsToSingle((start + r) << 16) * x[r];
                    Assert.True(expected.Equals(y[r]), $"bf16 0x{start + r:X4} at column {r} on {path}: {y[r]} != {expected}");
                }
            }
    }

    [Theory]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    public void RandomRowsMatchTheReferenceAndTheWideningOrder(DType type)
    {
        var rng = new Random(5);
        // and in the order of the widening kernel, bit for bit: whole and partial decode chunks, cache lines, lane vectors
        foreach (var cols in new[] { 64, Columns, 896 + 13, 2048, 2 * 1024 + 40 + 3 })
        {
            const int rows = 7;
            using var w = new NativeTensor(type, rows, cols, RandomWeights.Bytes(type, rows * cols, rng));
            var x = RandomWeights.Floats(cols, rng);
            foreach (var path in SimdPaths.Supported)
            {
                var y = new float[rows];
                MatMul.Rows(w.Tensor, x, 1, y, 0, rows, path);
                var widened = new float[rows];
                MatMul.Rows(w.Tensor, x, 1, widened, 0, rows, path, quantizeActivations: false);
                Assert.Equal(widened, y);
                for (var r = 0; r < rows; r++)
                {
                    var (expected, magnitude) = Reference.Dot(Reference.Weights(type, w.Tensor.Row(r), cols), x);
                    Reference.AssertClose(expected, magnitude, y[r], $"{type} {cols} columns row {r} on {path}");
                }
            }
        }
    }

    [Theory]
    [InlineData((ushort)0x7C00, 10)] // +infinity in a vector load
    [InlineData((ushort)0xFC00, 3)] // -infinity
    [InlineData((ushort)0x7E00, 40)] // NaN
    [InlineData((ushort)0xFE01, Columns - 1)] // a negative NaN in the scalar tail
    public void RowsWithAnInfinityOrNaNAreWidenedExactly(ushort special, int column)
    {
        // six rows: 0..3 go through the four-row kernel, 4 and 5 one at a time; the special value in row 2, then in row 5
        const int rows = 6;
        foreach (var specialRow in new[] { 2, 5 })
        {
            var rng = new Random(7);
            var bits = Enumerable.Range(0, rows * Columns).Select(_ => BitConverter.HalfToUInt16Bits((Half)(rng.NextSingle() - 0.5f))).ToArray();
            bits[specialRow * Columns + column] = special;
            using var w = new NativeTensor(DType.F16, rows, Columns, Halves(bits));
            var x = RandomWeights.Floats(Columns, rng);
            x[column] = 0.5f;
            foreach (var path in SimdPaths.Supported)
            {
                var y = new float[rows];
                MatMul.Rows(w.Tensor, x, 1, y, 0, rows, path);
                var widened = new float[rows];
                MatMul.Rows(w.Tensor, x, 1, widened, 0, rows, path, quantizeActivations: false);
                Assert.Equal(widened, y);
                Assert.False(float.IsFinite(y[specialRow]), $"row {specialRow} with 0x{special:X4} gave {y[specialRow]} on {path}");
                for (var r = 0; r < rows; r++)
                {
                    if (r == specialRow) continue;
                    var (expected, magnitude) = Reference.Dot(Reference.Weights(DType.F16, w.Tensor.Row(r), Columns), x);
                    Reference.AssertClose(expected, magnitude, y[r], $"finite row {r} beside 0x{special:X4} in row {specialRow} on {path}");
                }
            }
        }
    }

    [Theory]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    public void ARowGivesTheSameBitsInAGroupOfFourAsAlone(DType type)
    {
        // which rows share a pass depends on how a product is split between threads; the result must not
        var rng = new Random(9);
        const int rows = 8, cols = 896 + 13;
        using var w = new NativeTensor(type, rows, cols, RandomWeights.Bytes(type, rows * cols, rng));
        var x = RandomWeights.Floats(cols, rng);
        foreach (var path in SimdPaths.Supported)
        {
            var grouped = new float[rows];
            MatMul.Rows(w.Tensor, x, 1, grouped, 0, rows, path);
            var alone = new float[rows];
            for (var r = 0; r < rows; r++) MatMul.Rows(w.Tensor, x, 1, alone, r, r + 1, path);
            Assert.Equal(grouped, alone);
        }
    }

    [Theory]
    [InlineData(65536f)] // 2^112 times it overflows
    [InlineData(-1e30f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void VectorsTheScalingWouldOverflowAreWidened(float value)
    {
        var rng = new Random(8);
        const int rows = 9;
        using var w = new NativeTensor(DType.F16, rows, Columns, RandomWeights.Bytes(DType.F16, rows * Columns, rng));
        var x = RandomWeights.Floats(Columns, rng);
        x[17] = value;
        foreach (var path in SimdPaths.Supported)
        {
            var y = new float[rows];
            MatMul.Rows(w.Tensor, x, 1, y, 0, rows, path);
            var widened = new float[rows];
            MatMul.Rows(w.Tensor, x, 1, widened, 0, rows, path, quantizeActivations: false);
            Assert.Equal(widened, y);
        }
    }
}
