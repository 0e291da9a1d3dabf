using System.Numerics.Tensors;

namespace Moxing.Inference.Scheduling;

/// <summary>
/// Log-probabilities of tokens under the logits a sampler receives (after constraint masks, before penalties and
/// temperature): holds a copy of those logits, because sampling rewrites them in place. One per engine loop.
/// </summary>
internal sealed class LogprobScorer(int vocabSize)
{
    /// <summary>Most alternatives a request may ask for (OpenAI's limit).</summary>
    public const int MaxTopLogprobs = 20;

    private readonly float[] _logits = new float[vocabSize];
    private readonly float[] _exp = new float[vocabSize];
    private float _logSumExp;

    /// <summary>Remembers <paramref name="logits"/> and their log-normaliser.</summary>
    public void Capture(ReadOnlySpan<float> logits)
    {
        logits.CopyTo(_logits);
        var max = TensorPrimitives.Max(logits);
        TensorPrimitives.Subtract(logits, max, _exp);
        TensorPrimitives.Exp(_exp, _exp);
        _logSumExp = max + MathF.Log(TensorPrimitives.Sum(_exp));
    }

    /// <summary>The log-probability of <paramref name="id"/> under the captured logits.</summary>
    public float Logprob(int id) => _logits[id] - _logSumExp;

    /// <summary>The <paramref name="count"/> most likely tokens of the captured logits, best first.</summary>
    public TokenLogprob[] Top(int count)
    {
        if (count <= 0) return [];
        var top = new TokenLogprob[Math.Min(count, _logits.Length)];
        var kept = 0;
        for (var id = 0; id < _logits.Length; id++)
        {
            var value = _logits[id];
            if (kept == top.Length && !(value > top[kept - 1].Logprob)) continue;
            // Insertion into the short sorted list; ties keep the lower id first, like a stable sort.
            var i = kept < top.Length ? kept++ : kept - 1;
            while (i > 0 && top[i - 1].Logprob < value)
            {
                top[i] = top[i - 1];
                i--;
            }
            top[i] = new TokenLogprob(id, value);
        }
        for (var i = 0; i < kept; i++) top[i] = top[i] with { Logprob = top[i].Logprob - _logSumExp };
        return top;
    }
}
