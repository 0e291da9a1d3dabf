using System.Numerics.Tensors;
using Moxing.Inference.Scheduling;

namespace Moxing.Inference.Sampling;

/// <summary>
/// Log-probabilities for OpenAI's logprobs/top_logprobs: log-softmax of the model's logits as given (call before
/// <see cref="Sampler.Sample"/>, which applies bias, penalties and temperature in place).
/// </summary>
public static class Logprobs
{
    /// <summary>OpenAI's largest top_logprobs.</summary>
    public const int MaxTop = 20;

    /// <summary>log Σ exp(logits), computed stably; −∞ entries (masked tokens) contribute nothing.</summary>
    public static float LogSumExp(ReadOnlySpan<float> logits)
    {
        var max = TensorPrimitives.Max(logits);
        if (float.IsNegativeInfinity(max)) return max;
        Span<float> chunk = stackalloc float[1024];
        double sum = 0;
        for (var start = 0; start < logits.Length; start += chunk.Length)
        {
            var part = logits.Slice(start, Math.Min(chunk.Length, logits.Length - start));
            var tmp = chunk[..part.Length];
            TensorPrimitives.Subtract(part, max, tmp);
            TensorPrimitives.Exp(tmp, tmp);
            sum += TensorPrimitives.Sum<float>(tmp);
        }
        return max + (float)Math.Log(sum);
    }

    /// <summary>The log-probability of <paramref name="id"/> under softmax(<paramref name="logits"/>).</summary>
    public static float Of(ReadOnlySpan<float> logits, int id) => logits[id] - LogSumExp(logits);

    /// <summary>
    /// The chosen token with its log-probability and the <paramref name="top"/> most likely tokens (best first, ties by
    /// lower id), as the engine reports them.
    /// </summary>
    public static GeneratedToken Describe(ReadOnlySpan<float> logits, int chosen, int top)
    {
        if (top < 0 || top > MaxTop) throw new ArgumentOutOfRangeException(nameof(top), $"top_logprobs must be in [0, {MaxTop}], got {top}");
        var logZ = LogSumExp(logits);
        TokenLogprob[]? alternatives = null;
        if (top > 0)
        {
            Span<int> ids = stackalloc int[top];
            var n = TopIds(logits, ids);
            alternatives = new TokenLogprob[n];
            for (var i = 0; i < n; i++) alternatives[i] = new TokenLogprob(ids[i], logits[ids[i]] - logZ);
        }
        return new GeneratedToken(chosen, logits[chosen] - logZ, alternatives);
    }

    // Fills ids with the best tokens, best first (insertion into a short sorted list); returns how many.
    private static int TopIds(ReadOnlySpan<float> logits, Span<int> ids)
    {
        var n = 0;
        for (var id = 0; id < logits.Length; id++)
        {
            var v = logits[id];
            if (float.IsNaN(v) || (n == ids.Length && v <= logits[ids[n - 1]])) continue;
            var at = n < ids.Length ? n++ : n - 1;
            while (at > 0 && logits[ids[at - 1]] < v)
            {
                ids[at] = ids[at - 1];
                at--;
            }
            ids[at] = id;
        }
        return n;
    }
}
