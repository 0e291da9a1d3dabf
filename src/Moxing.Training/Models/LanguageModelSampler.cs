using Moxing.Core.Autograd;
using Moxing.Training.Data.Text;

namespace Moxing.Training.Models;

/// <summary>Draws text from a trained GPT one token at a time (temperature sampling over the last position's logits).</summary>
public static class LanguageModelSampler
{
    /// <summary>
    /// Continues <paramref name="prompt"/> for up to <paramref name="maxTokens"/> tokens, stopping after
    /// <paramref name="stop"/> when it is given; returns the generated text without the prompt and the stop text.
    /// </summary>
    public static string Sample(TransformerNetwork model, ITextEncoder encoder, string prompt, int maxTokens, float temperature, Random rng, string? stop = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(temperature);
        var ids = new List<int>(encoder.Encode(prompt));
        if (ids.Count == 0) throw new ArgumentException("the prompt encodes to no tokens", nameof(prompt));
        var start = ids.Count;
        var wasTraining = model.Training;
        model.Eval();
        using var _ = GradMode.NoGrad();
        try
        {
            for (var step = 0; step < maxTokens; step++)
            {
                var context = ids.Skip(Math.Max(0, ids.Count - model.MaxLength)).Select(i => (float)i).ToArray();
                var logits = model.Forward(new Tensor(context, 1, context.Length)).Data;
                var vocabulary = logits.Length / context.Length;
                var next = Draw(logits.Slice((context.Length - 1) * vocabulary, vocabulary), temperature, rng);
                ids.Add(next);
                if (stop != null && encoder.TokenText(next) == stop) break;
            }
        }
        finally
        {
            model.Train(wasTraining);
        }
        var text = encoder.Decode(ids.Skip(start).ToArray());
        return stop != null && text.EndsWith(stop, StringComparison.Ordinal) ? text[..^stop.Length] : text;
    }

    private static int Draw(ReadOnlySpan<float> logits, float temperature, Random rng)
    {
        var max = System.Numerics.Tensors.TensorPrimitives.Max(logits);
        var weights = new double[logits.Length];
        double total = 0;
        for (var i = 0; i < logits.Length; i++) total += weights[i] = Math.Exp((logits[i] - max) / temperature);
        var r = rng.NextDouble() * total;
        for (var i = 0; i < weights.Length; i++)
            if ((r -= weights[i]) <= 0) return i;
        return weights.Length - 1;
    }
}
