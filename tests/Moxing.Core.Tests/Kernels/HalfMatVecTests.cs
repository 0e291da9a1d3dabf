using Moxing.Core.Kernels;
using Moxing.Core.Tensors;
using Moxing.Core.Tests.Quantization;

namespace Moxing.Core.Tests.Kernels;

/// <summary>The F16 matrix-vector kernel that scales the vector by 2^112 instead of widening each weight.</summary>
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
    public void RandomRowsMatchTheReference()
    {
        var rng = new Random(5);
        foreach (var cols in new[] { 64, Columns, 896 + 13 })
        {
            const int rows = 7;
            using var w = new NativeTensor(DType.F16, rows, cols, RandomWeights.Bytes(DType.F16, rows * cols, rng));
            var x = RandomWeights.Floats(cols, rng);
            foreach (var path in SimdPaths.Supported)
            {
                var y = new float[rows];
                MatMul.Rows(w.Tensor, x, 1, y, 0, rows, path);
                for (var r = 0; r < rows; r++)
                {
                    var (expected, magnitude) = Reference.Dot(Reference.Weights(DType.F16, w.Tensor.Row(r), cols), x);
                    Reference.AssertClose(expected, magnitude, y[r], $"F16 {cols} columns row {r} on {path}");
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
        var rng = new Random(7);
        var bits = Enumerable.Range(0, 2 * Columns).Select(_ => BitConverter.HalfToUInt16Bits((Half)(rng.NextSingle() - 0.5f))).ToArray();
        bits[column] = special;
        using var w = new NativeTensor(DType.F16, 2, Columns, Halves(bits));
        var x = RandomWeights.Floats(Columns, rng);
        x[column] = 0.5f;
        foreach (var path in SimdPaths.Supported)
        {
            var y = new float[2];
            MatMul.Rows(w.Tensor, x, 1, y, 0, 2, path);
            var widened = new float[2];
            MatMul.Rows(w.Tensor, x, 1, widened, 0, 2, path, quantizeActivations: false);
            Assert.Equal(widened[0], y[0]);
            Assert.False(float.IsFinite(y[0]), $"row with 0x{special:X4} gave {y[0]} on {path}");
            var (expected, magnitude) = Reference.Dot(Reference.Weights(DType.F16, w.Tensor.Row(1), Columns), x);
            Reference.AssertClose(expected, magnitude, y[1], $"the finite row beside 0x{special:X4} on {path}");
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
