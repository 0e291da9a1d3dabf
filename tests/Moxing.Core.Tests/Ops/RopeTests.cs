using Moxing.Core.Ops;

namespace Moxing.Core.Tests.Ops;

public sealed class RopeTests
{
    [Fact]
    public void DefaultFrequenciesFollowTheta()
    {
        var inv = new RopeConfig(10000, 8, RopeStyle.Half).InverseFrequencies();
        Assert.Equal([1, 0.1, 0.01, 0.001], inv.Select(v => Math.Round(v, 12)));
    }

    [Fact]
    public void HalfAndInterleavedAgreeUnderThePermutationLlamaCppApplies()
    {
        // llama.cpp permutes Q/K rows so interleaved pairs (2i, 2i+1) hold what rotate_half pairs (i, i+d/2) held.
        const int d = 8;
        var x = Enumerable.Range(0, d).Select(i => (float)Math.Sin(i + 1)).ToArray();
        var permuted = new float[d];
        for (var i = 0; i < d / 2; i++) { permuted[2 * i] = x[i]; permuted[2 * i + 1] = x[i + d / 2]; }
        new RopeTable(new RopeConfig(10000, d, RopeStyle.Half), 16).Apply(x, d, 7);
        new RopeTable(new RopeConfig(10000, d, RopeStyle.Interleaved), 16).Apply(permuted, d, 7);
        for (var i = 0; i < d / 2; i++)
        {
            Assert.Equal(x[i], permuted[2 * i], 6);
            Assert.Equal(x[i + d / 2], permuted[2 * i + 1], 6);
        }
    }

    [Fact]
    public void RotationPreservesNormAndPositionZeroIsIdentity()
    {
        const int d = 16;
        var x = Enumerable.Range(0, d).Select(i => (float)(i - 7.5)).ToArray();
        var table = new RopeTable(new RopeConfig(500000, d, RopeStyle.Half), 64);
        var same = x.ToArray();
        table.Apply(same, d, 0);
        Assert.Equal(x, same);
        var rotated = x.ToArray();
        table.Apply(rotated, d, 63);
        Assert.Equal(Math.Sqrt(x.Sum(v => v * v)), Math.Sqrt(rotated.Sum(v => v * v)), 3);
    }

    [Fact]
    public void PartialRotaryLeavesTheTailAlone()
    {
        const int d = 8;
        var x = Enumerable.Range(1, d).Select(i => (float)i).ToArray();
        new RopeTable(new RopeConfig(10000, 4, RopeStyle.Half), 8).Apply(x, d, 5);
        Assert.Equal([5, 6, 7, 8], x[4..]);
    }

    [Fact]
    public void Llama3ScalingKeepsHighFrequenciesAndDividesLowOnes()
    {
        var plain = new RopeConfig(500000, 128, RopeStyle.Half).InverseFrequencies();
        var scaled = new RopeConfig(500000, 128, RopeStyle.Half, RopeScaling.Llama3, 8, 8192, 1, 4).InverseFrequencies();
        Assert.Equal(plain[0], scaled[0]);
        Assert.Equal(plain[^1] / 8, scaled[^1], 15);
        // In between the result is a blend, strictly between the two ends.
        var mid = Enumerable.Range(0, 64).First(i => 2 * Math.PI / plain[i] > 8192 / 4.0 && 2 * Math.PI / plain[i] < 8192);
        Assert.InRange(scaled[mid], plain[mid] / 8, plain[mid]);
    }

    [Fact]
    public void LinearScalingDividesEveryFrequency()
    {
        var plain = new RopeConfig(10000, 8, RopeStyle.Half).InverseFrequencies();
        var scaled = new RopeConfig(10000, 8, RopeStyle.Half, RopeScaling.Linear, 4).InverseFrequencies();
        Assert.Equal(plain.Select(v => v / 4), scaled);
    }

    [Fact]
    public void YarnInterpolatesLowFrequenciesAndScalesCosSin()
    {
        var config = new RopeConfig(10000, 64, RopeStyle.Half, RopeScaling.Yarn, 4, 4096);
        var plain = new RopeConfig(10000, 64, RopeStyle.Half).InverseFrequencies();
        var yarn = config.InverseFrequencies();
        Assert.Equal(plain[0], yarn[0], 12);
        Assert.Equal(plain[^1] / 4, yarn[^1], 12);
        Assert.Equal(0.1 * Math.Log(4) + 1, config.CosSinScale, 12);
    }

    [Fact]
    public void GgufFrequencyFactorsDivideEachFrequency()
    {
        var plain = new RopeConfig(10000, 8, RopeStyle.Interleaved).InverseFrequencies();
        var factored = new RopeConfig(10000, 8, RopeStyle.Interleaved, FrequencyFactors: [1, 2, 4, 8]).InverseFrequencies();
        Assert.Equal(plain.Select((v, i) => v / (1 << i)), factored);
    }

    [Fact]
    public void LongRopeDividesByShortFactorsWithinTheOriginalContextAndLongOnesBeyond()
    {
        // Phi-3.5-mini's shape: original 4096, max 131072 → factor 32, attention factor sqrt(1 + ln 32 / ln 4096).
        var config = new RopeConfig(10000, 8, RopeStyle.Half, RopeScaling.LongRope, 32, 4096, ShortFactors: [1, 1.5f, 2, 3], LongFactors: [1, 4, 16, 64]);
        var plain = new RopeConfig(10000, 8, RopeStyle.Half).InverseFrequencies();
        Assert.Equal(plain.Select((v, i) => v / new[] { 1, 1.5, 2, 3 }[i]), config.ForContext(4096).InverseFrequencies());
        Assert.Equal(plain.Select((v, i) => v / new[] { 1, 4, 16, 64 }[i]), config.ForContext(4097).InverseFrequencies());
        Assert.Same(config, config.ForContext(100));
        Assert.Equal(Math.Sqrt(1 + Math.Log(32) / Math.Log(4096)), config.ForContext(8192).CosSinScale, 12);
        Assert.Equal(1.25, (config with { AttentionFactor = 1.25 }).CosSinScale);
        Assert.Equal(1, (config with { Factor = 1 }).CosSinScale);
    }

    [Fact]
    public void DynamicNtkGrowsTheBaseOnlyBeyondTheOriginalContext()
    {
        var config = new RopeConfig(10000, 8, RopeStyle.Half, RopeScaling.DynamicNtk, 2, 2048);
        var plain = new RopeConfig(10000, 8, RopeStyle.Half).InverseFrequencies();
        Assert.Equal(plain, config.ForContext(2048).InverseFrequencies());
        // transformers: base · (2 · 4096 / 2048 − 1)^(8/6) = 10000 · 3^(4/3).
        var grown = new RopeConfig(10000 * Math.Pow(3, 8 / 6.0), 8, RopeStyle.Half).InverseFrequencies();
        var ours = config.ForContext(4096).InverseFrequencies();
        for (var i = 0; i < grown.Length; i++) Assert.Equal(grown[i], ours[i], 15);
        Assert.Equal(1, config.CosSinScale);
    }
}
