using System.Numerics;
using Moxing.Core.Ops;

namespace Moxing.Core.Tests.Ops;

/// <summary>The vectorized float erf and exact GELU (forward and gradient) against double-precision references.</summary>
public sealed class GeluErfTests
{
    [Fact]
    public void ReferenceErfMatchesKnownValues()
    {
        Assert.Equal(0.0, ReferenceErf.Erf(0), 15);
        Assert.Equal(0.5204998778130465, ReferenceErf.Erf(0.5), 12);
        Assert.Equal(0.8427007929497149, ReferenceErf.Erf(1), 12);
        Assert.Equal(-0.9953222650189527, ReferenceErf.Erf(-2), 12);
        Assert.Equal(0.9999779095030014, ReferenceErf.Erf(3), 12);
        Assert.Equal(1.0, ReferenceErf.Erf(10), 15);
    }

    private static float[] Erf(float[] x)
    {
        var w = Vector<float>.Count;
        var padded = new float[(x.Length + w - 1) / w * w];
        x.CopyTo(padded, 0);
        for (var i = 0; i < padded.Length; i += w) GeluErf.Erf(new Vector<float>(padded, i)).CopyTo(padded, i);
        return padded[..x.Length];
    }

    [Fact]
    public void ErfIsWithinThreeUlpEverywhere()
    {
        // Every 2e-5 over [-6, 6] (both polynomial pieces, the split at 0.9375, the clamp at 4), and tiny magnitudes.
        var x = Enumerable.Range(-300_000, 600_001).Select(i => i * 2e-5f).Concat([1e-30f, -1e-20f, 1e-8f, 0.9375f, -0.9375f, 4f, 100f, -3e38f]).ToArray();
        var y = Erf(x);
        for (var i = 0; i < x.Length; i++)
        {
            var expected = (float)ReferenceErf.Erf(x[i]);
            var ulp = MathF.BitIncrement(MathF.Abs(expected)) - MathF.Abs(expected);
            Assert.True(MathF.Abs(y[i] - expected) <= 3 * ulp, $"erf({x[i]:R}) = {y[i]:R}, expected {expected:R}");
        }
    }

    [Fact]
    public void ErfOfSpecialValues()
    {
        var y = Erf([0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN]);
        Assert.Equal(0f, y[0]);
        Assert.True(float.IsNegative(y[1]), "erf(-0) = -0");
        Assert.Equal(1f, y[2]);
        Assert.Equal(-1f, y[3]);
        Assert.True(float.IsNaN(y[4]));
    }

    [Fact]
    public void GeluAndItsGradientMatchDoublePrecisionAtEveryLength()
    {
        var rng = new Random(7);
        for (var length = 1; length <= 3 * Vector<float>.Count + 1; length++)
        {
            var x = Enumerable.Range(0, length).Select(_ => (float)(rng.NextDouble() * 16 - 8)).ToArray();
            var upstream = Enumerable.Range(0, length).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            var dx = Enumerable.Range(0, length).Select(_ => (float)rng.NextDouble()).ToArray();
            var start = (float[])dx.Clone();
            var y = (float[])x.Clone();
            GeluErf.Forward(y, y);
            GeluErf.AccumulateGradient(x, upstream, dx);
            for (var i = 0; i < length; i++)
            {
                double v = x[i], cdf = 0.5 * (1 + ReferenceErf.Erf(v / Math.Sqrt(2)));
                Assert.Equal(v * cdf, y[i], 1e-6 * Math.Abs(v * cdf) + 1e-7);
                var derivative = cdf + v * Math.Exp(-0.5 * v * v) / Math.Sqrt(2 * Math.PI);
                Assert.Equal(start[i] + upstream[i] * derivative, dx[i], 1e-6);
            }
        }
    }

    [Fact]
    public void MismatchedLengthsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => GeluErf.Forward(new float[3], new float[2]));
        Assert.Throws<ArgumentException>(() => GeluErf.AccumulateGradient(new float[3], new float[3], new float[4]));
    }
}
