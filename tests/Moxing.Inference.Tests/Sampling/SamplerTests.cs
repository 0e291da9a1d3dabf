using Moxing.Inference.Sampling;

namespace Moxing.Inference.Tests.Sampling;

public sealed class SamplerTests
{
    private static float[] Logits(int n, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 8)).ToArray();
    }

    private static int[] Draws(SamplingOptions o, float[] logits, int count)
    {
        var sampler = new Sampler(o, logits.Length);
        return Enumerable.Range(0, count).Select(_ => sampler.Sample(logits.ToArray())).ToArray();
    }

    [Fact]
    public void GreedyPicksTheArgmax()
    {
        var logits = Logits(1000, 1);
        Assert.Equal(Array.IndexOf(logits, logits.Max()), new Sampler(SamplingOptions.Greedy, 1000).Sample(logits));
    }

    [Fact]
    public void TheSameSeedGivesTheSameDraws()
    {
        var logits = Logits(5000, 2);
        var o = new SamplingOptions { Temperature = 1.2f, TopK = 50, TopP = 0.9f, Seed = 123 };
        Assert.Equal(Draws(o, logits, 50), Draws(o, logits, 50));
        Assert.NotEqual(Draws(o, logits, 50), Draws(o with { Seed = 124 }, logits, 50));
    }

    [Fact]
    public void TopKDrawsOnlyTheKBest()
    {
        var logits = Logits(20000, 3);
        var best = logits.Select((v, i) => (v, i)).OrderByDescending(p => p.v).Take(5).Select(p => p.i).ToHashSet();
        var draws = Draws(new SamplingOptions { Temperature = 5f, TopK = 5, Seed = 9 }, logits, 300);
        Assert.All(draws, d => Assert.Contains(d, best));
        Assert.True(draws.Distinct().Count() > 1);
    }

    [Fact]
    public void TopPAndMinPTrimTheTail()
    {
        float[] logits = [5, 4.9f, 0, 0, 0];
        Assert.All(Draws(new SamplingOptions { TopP = 0.9f, Seed = 1 }, logits, 200), d => Assert.True(d < 2));
        Assert.All(Draws(new SamplingOptions { MinP = 0.5f, Seed = 1 }, logits, 200), d => Assert.True(d < 2));
    }

    [Fact]
    public void DrawsFollowTheSoftmax()
    {
        float[] logits = [2, 1, 0.5f, 0, -1, -3];
        var expected = logits.Select(l => Math.Exp(l)).ToArray();
        var total = expected.Sum();
        const int count = 40000;
        var draws = Draws(new SamplingOptions { Seed = 4 }, logits, count);
        for (var id = 0; id < logits.Length; id++)
        {
            var p = expected[id] / total;
            var observed = draws.Count(d => d == id) / (double)count;
            // five standard deviations of a binomial frequency
            Assert.True(Math.Abs(observed - p) <= 5 * Math.Sqrt(p * (1 - p) / count), $"token {id}: drawn {observed:F4}, softmax {p:F4}");
        }
    }

    [Fact]
    public void DrawsOverALargeVocabularyFollowTheSoftmaxAndNeverPickMaskedTokens()
    {
        // mass spread over several 256-token spans of the draw's scan, the vocabulary's tail masked out
        var logits = Enumerable.Repeat(-2f, 1000).ToArray();
        logits[0] = 3;
        logits[300] = 4;
        logits[511] = 4.5f;
        logits[512] = 1;
        logits[767] = 3.5f;
        for (var id = 900; id < 1000; id++) logits[id] = float.NegativeInfinity;
        var weights = logits.Select(l => Math.Exp(l)).ToArray();
        var total = weights.Sum();
        const int count = 40000;
        var draws = Draws(new SamplingOptions { Seed = 5 }, logits, count);
        Assert.DoesNotContain(draws, d => d >= 900);
        foreach (var id in new[] { 0, 300, 511, 512, 767, 1, 899 })
        {
            var p = weights[id] / total;
            var observed = draws.Count(d => d == id) / (double)count;
            Assert.True(Math.Abs(observed - p) <= 5 * Math.Sqrt(p * (1 - p) / count) + 1e-4, $"token {id}: drawn {observed:F4}, softmax {p:F4}");
        }
    }

    [Fact]
    public void NonFiniteLogitsAreAnErrorNotADraw()
    {
        float[] logits = [1, float.NaN, 2];
        Assert.Throws<InvalidOperationException>(() => new Sampler(new SamplingOptions { Seed = 1 }, 3).Sample(logits));
    }

    [Fact]
    public void TopPOverAFlatVocabularyKeepsExactlyTheNucleus()
    {
        // a slowly falling ramp: the 0.8 nucleus spans hundreds of tokens, several of the sampler's partial-sort chunks
        var logits = Enumerable.Range(0, 20000).Select(i => -i / 400f).ToArray();
        var weights = logits.Select(l => Math.Exp(l)).ToArray();
        var total = weights.Sum();
        var nucleus = 0;
        for (double mass = 0; mass < 0.8; nucleus++) mass += weights[nucleus] / total;
        Assert.InRange(nucleus, 200, 19000);
        var draws = Draws(new SamplingOptions { TopP = 0.8f, Seed = 7 }, logits, 3000);
        Assert.All(draws, d => Assert.True(d < nucleus, $"token {d} is outside the nucleus of the {nucleus} best"));
        Assert.True(draws.Max() > nucleus * 3 / 4, "the draws should reach the nucleus' tail");
    }

    [Fact]
    public void PenaltiesLowerSeenTokens()
    {
        var sampler = new Sampler(new SamplingOptions { Temperature = 0, FrequencyPenalty = 2f }, 3);
        sampler.Observe(0);
        Assert.Equal(1, sampler.Sample(new float[] { 3f, 2f, 0f }));
        var repetition = new Sampler(new SamplingOptions { Temperature = 0, RepetitionPenalty = 2f }, 3);
        repetition.ObservePrompt([0]);
        Assert.Equal(1, repetition.Sample(new float[] { 3f, 2f, 0f }));
    }

    [Fact]
    public void InvalidOptionsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new Sampler(new SamplingOptions { TopP = 0 }, 10));
        Assert.Throws<ArgumentException>(() => new Sampler(new SamplingOptions { Temperature = -1 }, 10));
    }
}
