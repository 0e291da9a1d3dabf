using Moxing.Core.Ops;

namespace Moxing.Core.Tests.Ops;

/// <summary>Softmax stays finite for scores far beyond exp's range (large attention logits), as the max-subtracted form.</summary>
public class SoftmaxTests
{
    [Fact]
    public void LargeScoresGiveTheProbabilitiesOfTheirDifferences()
    {
        foreach (var offset in new[] { 0f, 100f, 1e4f, -1e4f, 1e6f })
        {
            var x = new[] { offset, offset - 1, offset - 2 };
            Activations.Softmax(x);
            double e1 = Math.Exp(-1), e2 = Math.Exp(-2), sum = 1 + e1 + e2;
            Assert.Equal(1 / sum, x[0], 1e-6);
            Assert.Equal(e1 / sum, x[1], 1e-6);
            Assert.Equal(e2 / sum, x[2], 1e-6);
        }
    }

    [Fact]
    public void AttentionOverOneLargeScoreReturnsItsValue()
    {
        // q·k · scale = 400 · 400 · 0.125 = 20000: the only row's value comes back, not NaN
        var q = Enumerable.Repeat(20f, 64).ToArray();
        var k = Enumerable.Repeat(5f, 64).ToArray();
        var v = Enumerable.Range(0, 64).Select(i => i * 0.5f).ToArray();
        var scores = new float[1];
        var output = new float[64];
        Attention.Head(q, k, v, 64, 0, 1, 0.125f, 0, scores, output);
        Assert.Equal(v, output);
        // two rows whose scores differ by 1 at that magnitude weigh 1/(1 + e^-1) and e^-1/(1 + e^-1)
        var keys = k.Concat(k.Select(x => x - 1f / (20 * 64 * 0.125f))).ToArray();
        var values = v.Concat(new float[64]).ToArray();
        var two = new float[2];
        Attention.Head(q, keys, values, 64, 0, 2, 0.125f, 0, two, output);
        Assert.Equal(1 / (1 + Math.Exp(-1)), two[0], 1e-3);
        Assert.All(output, o => Assert.True(float.IsFinite(o)));
    }

    [Fact]
    public void EveryLengthMatchesTheDoublePrecisionSoftmax()
    {
        // lengths below, at and between whole vectors: the last vector overlaps the one before it by 0..7 lanes
        var rng = new Random(5);
        for (var length = 1; length <= 41; length++)
        {
            var x = Enumerable.Range(0, length).Select(_ => (float)(rng.NextDouble() * 20 - 10)).ToArray();
            if (length > 3) x[length / 2] = float.NegativeInfinity;
            var max = x.Max();
            var sum = x.Sum(v => Math.Exp(v - max));
            var expected = x.Select(v => Math.Exp(v - max) / sum).ToArray();
            Activations.Softmax(x);
            for (var i = 0; i < length; i++) Assert.True(Math.Abs(expected[i] - x[i]) <= 1e-6 * expected[i] + 1e-9, $"length {length}, element {i}: {x[i]} vs {expected[i]}");
            Assert.Equal(1, x.Sum(v => (double)v), 1e-5);
        }
    }

    [Fact]
    public void EmptyIsLeftAlone() => Activations.Softmax(Span<float>.Empty);
}
