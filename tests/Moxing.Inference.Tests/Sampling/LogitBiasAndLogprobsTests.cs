using Moxing.Inference.Sampling;

namespace Moxing.Inference.Tests.Sampling;

public sealed class LogitBiasAndLogprobsTests
{
    private static float[] Logits(int n, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 10 - 5)).ToArray();
    }

    [Fact]
    public void MinusHundredBansTheBestTokenAndPlusHundredForcesAnother()
    {
        var logits = Logits(3000, 1);
        var best = Array.IndexOf(logits, logits.Max());
        var banned = new Sampler(SamplingOptions.Greedy with { LogitBias = new Dictionary<int, float> { [best] = -100 } }, logits.Length);
        Assert.NotEqual(best, banned.Sample(logits.ToArray()));
        var forced = new SamplingOptions { Temperature = 1f, Seed = 5, LogitBias = new Dictionary<int, float> { [17] = 100 } };
        var sampler = new Sampler(forced, logits.Length);
        for (var i = 0; i < 50; i++) Assert.Equal(17, sampler.Sample(logits.ToArray()));
    }

    [Fact]
    public void SmallBiasShiftsTheDrawFrequencies()
    {
        float[] logits = [0f, 0f];
        int Count(SamplingOptions o)
        {
            var s = new Sampler(o, 2);
            return Enumerable.Range(0, 4000).Count(_ => s.Sample(logits.ToArray()) == 1);
        }
        var plain = Count(new SamplingOptions { Seed = 3 });
        var biased = Count(new SamplingOptions { Seed = 3, LogitBias = new Dictionary<int, float> { [1] = 1f } });
        Assert.InRange(plain, 1800, 2200);
        // e / (1 + e) ≈ 0.731 of 4000.
        Assert.InRange(biased, 2780, 3060);
    }

    [Theory]
    [InlineData(-1, 1f)]
    [InlineData(3, 100.5f)]
    [InlineData(3, float.NaN)]
    public void OutOfRangeBiasIsRejected(int id, float bias)
    {
        var o = new SamplingOptions { LogitBias = new Dictionary<int, float> { [id] = bias } };
        Assert.Throws<ArgumentException>(o.Validate);
    }

    [Fact]
    public void BiasOnATokenOutsideTheVocabularyIsRejected() =>
        Assert.Throws<ArgumentException>(() => new Sampler(new SamplingOptions { LogitBias = new Dictionary<int, float> { [10] = 1 } }, 10));

    [Fact]
    public void LogprobsAreTheLogSoftmax()
    {
        var logits = Logits(50000, 2);
        var max = logits.Max();
        var z = Math.Log(logits.Sum(v => Math.Exp(v - max))) + max;
        var chosen = 1234;
        var token = Logprobs.Describe(logits, chosen, 5);
        Assert.Equal(chosen, token.Id);
        Assert.Equal(logits[chosen] - z, token.Logprob, 4);
        var expected = logits.Select((v, i) => (v, i)).OrderByDescending(p => p.v).Take(5).ToArray();
        Assert.Equal(expected.Select(p => p.i), token.TopLogprobs!.Select(t => t.Id));
        for (var i = 0; i < 5; i++) Assert.Equal(expected[i].v - z, token.TopLogprobs![i].Logprob, 4);
        Assert.Equal(1.0, logits.Sum(v => Math.Exp(v - Logprobs.LogSumExp(logits))), 3);
    }

    [Fact]
    public void MaskedTokensHaveNoProbabilityAndNoTopSlot()
    {
        float[] logits = [float.NegativeInfinity, 2f, float.NegativeInfinity, 2f];
        var token = Logprobs.Describe(logits, 1, 4);
        Assert.Equal(MathF.Log(0.5f), token.Logprob, 5);
        Assert.Equal([1, 3, 0, 2], token.TopLogprobs!.Select(t => t.Id));
        Assert.True(float.IsNegativeInfinity(token.TopLogprobs![3].Logprob));
        Assert.Null(Logprobs.Describe(logits, 1, 0).TopLogprobs);
        Assert.Throws<ArgumentOutOfRangeException>(() => Logprobs.Describe(logits, 1, 21));
    }
}
