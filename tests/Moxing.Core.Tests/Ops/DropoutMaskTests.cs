using Moxing.Core.Autograd;
using Moxing.Core.Ops;

namespace Moxing.Core.Tests.Ops;

public sealed class DropoutMaskTests
{
    private const int Million = 1_000_000;

    // 1 where element i is kept, 0 where dropped, from the mask applied to ones.
    private static float[] Kept(int count, ulong seed, float p)
    {
        var y = new float[count];
        DropoutMask.Apply(Enumerable.Repeat(1f, count).ToArray(), y, seed, p, accumulate: false);
        var scale = 1f / (1f - p);
        for (var i = 0; i < count; i++)
        {
            Assert.True(y[i] == 0f || y[i] == scale, $"element {i} is {y[i]}, neither 0 nor {scale}");
            y[i] = y[i] == 0f ? 0f : 1f;
        }
        return y;
    }

    private static double Correlation(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double ma = 0, mb = 0;
        for (var i = 0; i < a.Length; i++) { ma += a[i]; mb += b[i]; }
        ma /= a.Length;
        mb /= b.Length;
        double cov = 0, va = 0, vb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            double da = a[i] - ma, db = b[i] - mb;
            cov += da * db;
            va += da * da;
            vb += db * db;
        }
        return cov / Math.Sqrt(va * vb);
    }

    [Theory]
    [InlineData(0.1f, 1UL)]
    [InlineData(0.5f, 0xDEADBEEF_12345678UL)]
    [InlineData(0.9f, 42UL)]
    public void KeepRateIsOneMinusPOverAMillionElements(float p, ulong seed)
    {
        var kept = Kept(Million, seed, p);
        var rate = kept.Average();
        // Five standard deviations of a binomial rate over a million draws (at most 0.0025).
        Assert.InRange(rate, 1 - p - 5 * Math.Sqrt(p * (1 - p) / Million), 1 - p + 5 * Math.Sqrt(p * (1 - p) / Million));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(64)]
    public void NeighbouringElementsAreUncorrelated(int lag)
    {
        var kept = Kept(Million + lag, 7, 0.5f);
        // Independent masks give |r| ~ 0.001 over a million pairs.
        Assert.InRange(Correlation(kept.AsSpan(0, Million), kept.AsSpan(lag, Million)), -0.005, 0.005);
    }

    [Fact]
    public void NeighbouringSeedsGiveUncorrelatedMasks()
    {
        Assert.InRange(Correlation(Kept(Million, 100, 0.3f), Kept(Million, 101, 0.3f)), -0.005, 0.005);
        Assert.InRange(Correlation(Kept(Million, 100, 0.3f), Kept(Million, 100 + (1UL << 32), 0.3f)), -0.005, 0.005);
    }

    [Fact]
    public void SameSeedGivesTheSameMaskAtAnyLength()
    {
        var full = Kept(4096, 9, 0.25f);
        Assert.Equal(full, Kept(4096, 9, 0.25f));
        // Odd lengths end on the scalar tail; it must hash as the vector lanes do.
        Assert.Equal(full[..1003], Kept(1003, 9, 0.25f));
        Assert.Equal(full[..5], Kept(5, 9, 0.25f));
        Assert.NotEqual(full, Kept(4096, 10, 0.25f));
    }

    [Fact]
    public void AccumulateAddsTheMaskedInputToY()
    {
        var x = Enumerable.Range(0, 37).Select(i => i * 0.5f - 3f).ToArray();
        var masked = new float[37];
        DropoutMask.Apply(x, masked, 3, 0.4f, accumulate: false);
        var y = Enumerable.Range(0, 37).Select(i => (float)i).ToArray();
        DropoutMask.Apply(x, y, 3, 0.4f, accumulate: true);
        for (var i = 0; i < 37; i++)
        {
            Assert.True(masked[i] == 0f || masked[i] == x[i] * (1f / 0.6f), $"element {i}: {masked[i]} from {x[i]}");
            Assert.Equal(i + masked[i], y[i]);
        }
        Assert.InRange(masked.Count(v => v == 0f), 2, 30);
    }

    [Fact]
    public void ProbabilityOneDropsEverythingAndZeroKeepsEverything()
    {
        var y = new float[100];
        DropoutMask.Apply(Enumerable.Repeat(2f, 100).ToArray(), y, 1, 1f, accumulate: false);
        Assert.All(y, v => Assert.Equal(0f, v));
        DropoutMask.Apply(Enumerable.Repeat(2f, 100).ToArray(), y, 1, 0f, accumulate: false);
        Assert.All(y, v => Assert.Equal(2f, v));
    }

    [Fact]
    public void BadInputIsRejectedWithItsName()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => DropoutMask.Apply(new float[4], new float[4], 1, 1.5f, false));
        Assert.Equal("p", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => DropoutMask.Apply(new float[4], new float[4], 1, float.NaN, false));
        Assert.Contains("differ in length", Assert.Throws<ArgumentException>(() => DropoutMask.Apply(new float[4], new float[3], 1, 0.5f, false)).Message);
    }

    [Fact]
    public void TensorDropoutIsReproducibleFromTheSeededSource()
    {
        var x = Tensor.Ones(64, 33);
        Assert.Equal(x.Dropout(0.2f, true, new Random(11)).Data.ToArray(), x.Dropout(0.2f, true, new Random(11)).Data.ToArray());
        Assert.NotEqual(x.Dropout(0.2f, true, new Random(11)).Data.ToArray(), x.Dropout(0.2f, true, new Random(12)).Data.ToArray());
    }
}
