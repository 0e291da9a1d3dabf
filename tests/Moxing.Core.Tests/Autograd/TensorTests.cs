using Moxing.Core.Autograd;

namespace Moxing.Core.Tests.Autograd;

public class TensorTests
{
    [Fact]
    public void NoGradRecordsNothing()
    {
        var w = Tensor.Ones(3).RequireGrad();
        Tensor y;
        using (GradMode.NoGrad())
        {
            y = (w * 2f).Exp().Sum();
            Assert.False(GradMode.Enabled);
        }
        Assert.True(GradMode.Enabled);
        Assert.False(y.RequiresGrad);
        Assert.True(y.IsLeaf);
        Assert.Throws<InvalidOperationException>(() => y.Backward());
    }

    [Fact]
    public void GradientsAccumulateAcrossBackwardCallsAndSharedUses()
    {
        var x = Tensor.From([1f, 2f], 2).RequireGrad();
        var y = x * x + x;               // dy/dx = 2x + 1
        y.Sum().Backward();
        Assert.Equal([3f, 5f], x.Grad!.ToArray());
        (x * 3f).Sum().Backward();
        Assert.Equal([6f, 8f], x.Grad!.ToArray());
        x.ZeroGrad();
        Assert.Null(x.Grad);
    }

    [Fact]
    public void IntermediateGradientsAreFreedUnlessRetained()
    {
        var x = Tensor.From([1f, 2f], 2).RequireGrad();
        var h = (x * 2f).RetainGrad();
        var other = x * 3f;
        (h * other).Sum().Backward();
        Assert.Equal([3f, 6f], h.Grad!.ToArray());
        Assert.Null(other.Grad);
        Assert.Equal([12f, 24f], x.Grad!.ToArray());
    }

    [Fact]
    public void LongChainsDoNotOverflowTheStack()
    {
        var x = Tensor.Scalar(1f).RequireGrad();
        var y = x;
        for (var i = 0; i < 100_000; i++) y = y * 1f;
        y.Backward();
        Assert.Equal(1f, x.Grad!.Item());
    }

    [Fact]
    public void BroadcastArithmeticMatchesElementwiseDefinition()
    {
        var a = Tensor.Uniform(new Random(1), -1, 1, 2, 3, 4);
        var b = Tensor.Uniform(new Random(2), 0.5f, 1, 3, 1);
        var sum = a + b;
        var quotient = b / a;
        for (var i = 0; i < 2; i++)
            for (var j = 0; j < 3; j++)
                for (var k = 0; k < 4; k++)
                {
                    Assert.Equal(a.At(i, j, k) + b.At(j, 0), sum.At(i, j, k));
                    Assert.Equal(b.At(j, 0) / a.At(i, j, k), quotient.At(i, j, k));
                }
        Assert.Throws<ArgumentException>(() => a + Tensor.Zeros(2, 4));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void GemmMatchesNaiveProduct(bool transposeA, bool transposeB)
    {
        int m = 67, n = 41, k = 130;
        var rng = new Random(3);
        var a = Tensor.Uniform(rng, -1, 1, m * k).ToArray();
        var b = Tensor.Uniform(rng, -1, 1, k * n).ToArray();
        var c = Enumerable.Repeat(0.5f, m * n).ToArray();
        Gemm.Multiply(a, transposeA, b, transposeB, c, m, n, k, accumulate: true);
        for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
            {
                double s = 0.5;
                for (var p = 0; p < k; p++)
                    s += (double)(transposeA ? a[p * m + i] : a[i * k + p]) * (transposeB ? b[j * k + p] : b[p * n + j]);
                Assert.True(Math.Abs(s - c[i * n + j]) < 1e-4, $"{i},{j}: {s} vs {c[i * n + j]}");
            }
    }

    [Fact]
    public void MatMulBroadcastsBatches()
    {
        var a = Tensor.Uniform(new Random(1), -1, 1, 2, 1, 3, 4);
        var b = Tensor.Uniform(new Random(2), -1, 1, 5, 4, 2);
        var c = Tensor.MatMul(a, b);
        Assert.Equal([2, 5, 3, 2], c.Shape);
        for (var p = 0; p < 2; p++)
            for (var q = 0; q < 5; q++)
                for (var i = 0; i < 3; i++)
                    for (var j = 0; j < 2; j++)
                    {
                        var s = 0f;
                        for (var t = 0; t < 4; t++) s += a.At(p, 0, i, t) * b.At(q, t, j);
                        Assert.Equal(s, c.At(p, q, i, j), 5);
                    }
    }

    [Fact]
    public void Conv2dMatchesDirectSum()
    {
        var x = Tensor.Uniform(new Random(1), -1, 1, 2, 4, 7, 6);
        var w = Tensor.Uniform(new Random(2), -1, 1, 6, 2, 3, 2);
        var b = Tensor.Uniform(new Random(3), -1, 1, 6);
        var y = Tensor.Conv2d(x, w, b, stride: (2, 1), padding: (1, 1), dilation: (1, 2), groups: 2);
        Assert.Equal([2, 6, 4, 6], y.Shape);
        for (var n = 0; n < 2; n++)
            for (var o = 0; o < 6; o++)
                for (var oy = 0; oy < 4; oy++)
                    for (var ox = 0; ox < 6; ox++)
                    {
                        var s = b.At(o);
                        for (var c = 0; c < 2; c++)
                            for (var i = 0; i < 3; i++)
                                for (var j = 0; j < 2; j++)
                                {
                                    int iy = oy * 2 - 1 + i, ix = ox - 1 + j * 2;
                                    if (iy >= 0 && iy < 7 && ix >= 0 && ix < 6) s += w.At(o, c, i, j) * x.At(n, o / 3 * 2 + c, iy, ix);
                                }
                        Assert.True(Math.Abs(s - y.At(n, o, oy, ox)) < 1e-4);
                    }
    }

    [Fact]
    public void BatchNormUpdatesRunningStatisticsWithUnbiasedVariance()
    {
        var x = Tensor.From([1f, 2f, 3f, 5f], 4, 1);
        var mean = Tensor.Zeros(1);
        var variance = Tensor.Ones(1);
        Tensor.BatchNorm(x, mean, variance, null, null, training: true, momentum: 0.1f);
        Assert.Equal(0.1f * 2.75f, mean.Item(), 5);
        Assert.Equal(0.9f + 0.1f * (2.9166667f), variance.Item(), 5);
    }

    [Fact]
    public void ShapeErrorsNameTheShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).Reshape(4, 2));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.MatMul(Tensor.Zeros(2, 3), Tensor.Zeros(2, 3)));
        Assert.Throws<IndexOutOfRangeException>(() => Tensor.Zeros(4, 2).IndexSelect(0, [4]));
        Assert.Throws<ArgumentException>(() => Tensor.CrossEntropy(Tensor.Zeros(2, 3), [0, 3]));
    }

    [Fact]
    public void CausalAttentionIgnoresLaterKeys()
    {
        var q = Tensor.Uniform(new Random(1), -1, 1, 1, 4, 3);
        var k = Tensor.Uniform(new Random(2), -1, 1, 1, 4, 3);
        var v = Tensor.Uniform(new Random(3), -1, 1, 1, 4, 3);
        var full = Tensor.ScaledDotProductAttention(q, k, v, causal: true);
        var prefix = Tensor.ScaledDotProductAttention(q.Narrow(1, 0, 2), k.Narrow(1, 0, 2), v.Narrow(1, 0, 2));
        for (var j = 0; j < 3; j++) Assert.Equal(prefix.At(0, 1, j), full.At(0, 1, j), 5);
        Assert.Equal(v.At(0, 0, 2), full.At(0, 0, 2), 6);
    }
}
