using Moxing.Core.Kernels;
using Moxing.Core.Tensors;
using Moxing.Core.Tests.Quantization;

namespace Moxing.Core.Tests.Kernels;

/// <summary>F16 and BF16 weights times several vectors with the rows decoded by placement (F16: the vectors scaled by 2^112):
/// the same bits as the widened weights', and as each vector alone.</summary>
public class HalfMatMulTests
{
    private static byte[] Halves(IEnumerable<ushort> bits) => bits.SelectMany(BitConverter.GetBytes).ToArray();

    // y for n vectors through the pool (the placed kernel where the path has it) and through the widening kernel
    private static (float[] Placed, float[] Widened) Both(WorkerPool pool, NativeTensor w, float[] x, int n, SimdPath path)
    {
        var rows = (int)w.Tensor.RowCount;
        var placed = new float[n * rows];
        MatMul.Parallel(pool, w.Tensor, x, n, placed, path);
        var widened = new float[n * rows];
        MatMul.Rows(w.Tensor, x, n, widened, 0, rows, path, quantizeActivations: false);
        return (placed, widened);
    }

    [Fact]
    public void EveryFiniteHalfMultipliesExactly()
    {
        // every finite half once, in rows of 1037 columns (decode chunks, cache lines, lane vectors and a scalar tail); the
        // vectors' values all different, so a misplaced weight shows
        const int cols = 1037;
        var finite = Enumerable.Range(0, 65536).Select(i => (ushort)i).Where(h => (h & 0x7FFF) < 0x7C00).ToArray();
        var rows = (finite.Length + cols - 1) / cols;
        var bits = new ushort[rows * cols];
        finite.CopyTo(bits, 0);
        using var w = new NativeTensor(DType.F16, rows, cols, Halves(bits));
        using var pool = new WorkerPool(2);
        const int n = 6;
        var x = RandomWeights.Floats(n * cols, new Random(12));
        foreach (var path in SimdPaths.Supported)
        {
            var (placed, widened) = Both(pool, w, x, n, path);
            Assert.Equal(widened, placed);
        }
    }

    [Theory]
    [InlineData(DType.F16, 5)]
    [InlineData(DType.F16, 70)] // more vectors than one block of a 1k chunk holds
    [InlineData(DType.BF16, 9)]
    public void SeveralVectorsGiveEachVectorsBitsAlone(DType type, int n)
    {
        var rng = new Random(13);
        const int rows = 23, cols = 2 * 1024 + 40 + 3;
        using var w = new NativeTensor(type, rows, cols, RandomWeights.Bytes(type, rows * cols, rng));
        using var pool = new WorkerPool(3);
        var x = RandomWeights.Floats(n * cols, rng);
        foreach (var path in SimdPaths.Supported)
        {
            var (placed, widened) = Both(pool, w, x, n, path);
            Assert.Equal(widened, placed);
            for (var t = 0; t < n; t++)
            {
                var alone = new float[rows];
                MatMul.Parallel(pool, w.Tensor, x.AsSpan(t * cols, cols), 1, alone, path);
                Assert.Equal(alone, placed.AsSpan(t * rows, rows).ToArray());
            }
        }
    }

    [Theory]
    [InlineData((ushort)0x7C00, 10)] // +infinity in a lane vector
    [InlineData((ushort)0xFC00, 1030)] // -infinity in the second chunk
    [InlineData((ushort)0x7E00, 40)] // NaN
    [InlineData((ushort)0xFE01, 1100)] // a negative NaN in the scalar tail
    public void InfinitiesAndNaNsKeepTheirValues(ushort special, int column)
    {
        const int rows = 9, cols = 1101, n = 5;
        var rng = new Random(14);
        var bits = Enumerable.Range(0, rows * cols).Select(_ => BitConverter.HalfToUInt16Bits((Half)(rng.NextSingle() - 0.5f))).ToArray();
        bits[6 * cols + column] = special;
        using var w = new NativeTensor(DType.F16, rows, cols, Halves(bits));
        using var pool = new WorkerPool(2);
        var x = RandomWeights.Floats(n * cols, rng);
        foreach (var path in SimdPaths.Supported)
        {
            var (placed, widened) = Both(pool, w, x, n, path);
            Assert.Equal(widened, placed);
            for (var t = 0; t < n; t++) Assert.False(float.IsFinite(placed[t * rows + 6]), $"vector {t} row 6 with 0x{special:X4} on {path}");
        }
    }

    [Theory]
    [InlineData(65536f)] // 2^112 times it overflows
    [InlineData(float.NaN)]
    public void VectorsTheScalingWouldOverflowAreWidened(float value)
    {
        const int rows = 8, cols = 300, n = 4;
        var rng = new Random(15);
        using var w = new NativeTensor(DType.F16, rows, cols, RandomWeights.Bytes(DType.F16, rows * cols, rng));
        using var pool = new WorkerPool(2);
        var x = RandomWeights.Floats(n * cols, rng);
        x[2 * cols + 17] = value;
        foreach (var path in SimdPaths.Supported)
        {
            var (placed, widened) = Both(pool, w, x, n, path);
            Assert.Equal(widened, placed);
        }
    }
}
