using Moxing.Core.Kernels;
using Moxing.Core.Tensors;
using Moxing.Core.Tests.Quantization;

namespace Moxing.Core.Tests.Kernels;

/// <summary>Products that read one input, run as one loop (<see cref="MatMul.Parallel(WorkerPool, SimdPath, ReadOnlySpan{float}, int, SharedProduct, Span{float}, SharedProduct, Span{float}, SharedProduct, Span{float})"/>),
/// give each product's own result bit for bit, whichever kernels they take.</summary>
public sealed class SharedProductTests
{
    private static NativeTensor Random(DType type, int rows, int cols, Random rng) => new(type, rows, cols, RandomWeights.Bytes(type, rows * cols, rng));

    private static float[] Alone(WorkerPool pool, SimdPath path, SharedProduct p, float[] x, int n)
    {
        var y = new float[n * p.Weight.RowCount];
        if (p.Repacked != null) MatMul.Parallel(pool, p.Repacked, x, n, y, path);
        else MatMul.Parallel(pool, p.Weight, x, n, y, path);
        return y;
    }

    private static void AssertSharedEqualsAlone(SharedProduct a, SharedProduct b, SharedProduct c, int cols, int n, int seed)
    {
        var x = RandomWeights.Floats(n * cols, new Random(seed));
        using var pool = new WorkerPool(2);
        foreach (var path in SimdPaths.Supported)
        {
            var ya = new float[n * a.Weight.RowCount];
            var yb = new float[n * b.Weight.RowCount];
            var yc = c.Weight == null ? [] : new float[n * c.Weight.RowCount];
            MatMul.Parallel(pool, path, x, n, a, ya, b, yb, c, yc);
            Assert.Equal(Alone(pool, path, a, x, n), ya);
            Assert.Equal(Alone(pool, path, b, x, n), yb);
            if (c.Weight != null) Assert.Equal(Alone(pool, path, c, x, n), yc);
        }
    }

    [Theory]
    [InlineData(DType.Q5_0, DType.Q5_0, DType.Q8_0, 1)] // one loop over 8-bit activations of 32-weight blocks
    [InlineData(DType.Q5_0, DType.Q4_0, DType.Q8_0, 6)]
    [InlineData(DType.Q5_0, DType.Q5_0, DType.Q8_0, 16)] // panel products: whole panels per thread
    [InlineData(DType.Q4_K, DType.Q4_K, DType.Q6_K, 1)] // one loop over 8-bit activations of 256-weight blocks
    [InlineData(DType.Q4_K, DType.Q4_K, DType.Q6_K, 13)]
    [InlineData(DType.Q5_0, DType.Q4_K, DType.Q8_0, 3)] // two activation formats: one product after another
    [InlineData(DType.F16, DType.F16, DType.F16, 1)] // half-precision weights times one vector
    [InlineData(DType.F16, DType.F16, DType.F16, 2)] // float products: one after another
    [InlineData(DType.F32, DType.Q8_0, DType.BF16, 1)]
    public void Three_products_equal_each_alone(DType qType, DType kType, DType vType, int n)
    {
        var rng = new Random(n * 7 + (int)qType);
        const int cols = 512;
        using var q = Random(qType, 72, cols, rng);
        using var k = Random(kType, 16, cols, rng);
        using var v = Random(vType, 24, cols, rng);
        AssertSharedEqualsAlone(new(q.Tensor), new(k.Tensor), new(v.Tensor), cols, n, n);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void Two_products_with_a_repacked_copy_equal_each_alone(int n)
    {
        var rng = new Random(n);
        const int cols = 768;
        using var gate = Random(DType.Q4_K, 40, cols, rng);
        using var up = Random(DType.Q6_K, 40, cols, rng);
        using var arena = new TensorArena();
        var repacked = RepackedMatrix.TryCreate(gate.Tensor, arena, releaseFilePages: false);
        AssertSharedEqualsAlone(new(gate.Tensor, repacked), new(up.Tensor), default, cols, n, n + 100);
    }

    [Fact]
    public void Inputs_of_different_widths_are_refused_by_name()
    {
        var rng = new Random(3);
        using var a = Random(DType.Q8_0, 8, 64, rng);
        using var b = Random(DType.Q8_0, 8, 96, rng);
        var e = Assert.Throws<ArgumentException>(() => MatMul.Parallel(new float[64], 1, new SharedProduct(a.Tensor), new float[8], new SharedProduct(b.Tensor), new float[8]));
        Assert.Contains("test.weight", e.Message);
    }
}
