using Moxing.Core.Ops;

namespace Moxing.Core.Tests.Ops;

/// <summary>gpt-oss's attention sinks and clamped SwiGLU against the formulas written out in double precision.</summary>
public class GptOssOpsTests
{
    // p_j = exp(s_j) / (Σ_k exp(s_k) + exp(sink))
    private static double[] SinkSoftmax(float[] s, float sink)
    {
        var denominator = s.Sum(v => Math.Exp(v)) + Math.Exp(sink);
        return s.Select(v => Math.Exp(v) / denominator).ToArray();
    }

    // min(g, 7) · sigmoid(1.702 · min(g, 7)) · (clamp(u, −7, 7) + 1)
    private static double ClampedSwiglu(double g, double u)
    {
        var x = Math.Min(g, 7);
        return x / (1 + Math.Exp(-1.702 * x)) * (Math.Clamp(u, -7, 7) + 1);
    }

    [Fact]
    public void EachHeadsSinkJoinsOnlyTheDenominatorOfItsRows()
    {
        // two heads of three scores (stride 4, the fourth slot beyond the count untouched); the sinks differ per head and one
        // exceeds every score (the maximum subtracted is then the sink's)
        float[] scores = [0.5f, -1f, 2f, 99f, 3f, 1f, -2f, 99f];
        float[] sinks = [0.25f, 5f];
        var expected = new[] { SinkSoftmax(scores[0..3], sinks[0]), SinkSoftmax(scores[4..7], sinks[1]) };
        Attention.Normalize(scores, heads: 2, stride: 4, count: 3, softCap: 0, sinks);
        for (var h = 0; h < 2; h++)
        {
            for (var j = 0; j < 3; j++) Assert.Equal(expected[h][j], scores[4 * h + j], 1e-6);
            Assert.Equal(99f, scores[4 * h + 3]);
            Assert.True(scores.AsSpan(4 * h, 3).ToArray().Sum() < 1 - 1e-3, "the sink keeps part of the probability");
        }
    }

    [Fact]
    public void WithoutSinksTheRowsSumToOne()
    {
        float[] scores = [0.5f, -1f, 2f];
        Attention.Normalize(scores, heads: 1, stride: 3, count: 3, softCap: 0);
        Assert.Equal(1.0, scores.Sum(), 1e-6);
    }

    [Fact]
    public void TheClampedSwigluMatchesItsFormulaInsideAndBeyondTheLimits()
    {
        float[] gates = [-9f, -7.5f, -1f, 0f, 0.3f, 2f, 6.9f, 7f, 8f, 30f];
        float[] ups = [-20f, -7f, -0.5f, 1f, 3f, 6.99f, 7f, 7.01f, 12f, -3f];
        var gate = gates.ToArray();
        Activations.Gated(Activation.SwigluOai, gate, ups);
        for (var i = 0; i < gates.Length; i++)
            Assert.Equal(ClampedSwiglu(gates[i], ups[i]), gate[i], 1e-5 * Math.Max(1, Math.Abs(gate[i])));
    }

    [Fact]
    public void TheClampedSwigluHasNoUngatedForm()
    {
        var error = Assert.Throws<ArgumentException>(() => Activations.Apply(Activation.SwigluOai, new float[4]));
        Assert.Contains("gated", error.Message);
    }
}
