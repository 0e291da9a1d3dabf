using Moxing.Core;
using Moxing.Core.Tensors;
using Moxing.Inference.Sessions;
using Moxing.Models.Decoder;

namespace Moxing.Inference.Evaluation;

/// <summary>
/// Scores a decoder on a text with llama-perplexity's method: the tokens are cut into chunks of <c>context</c>, each
/// chunk starts with BOS (replacing its first token) when the tokenizer adds one, and only the second half of each chunk
/// is scored, so every scored token has at least half a context before it.
/// </summary>
public static class TextEvaluator
{
    /// <summary>
    /// Scores <paramref name="model"/> on <paramref name="tokens"/> (at most <paramref name="maxChunks"/> chunks); with
    /// <paramref name="reference"/> (same vocabulary), also the KL divergence and top-1 agreement of <paramref name="model"/>'s
    /// distributions against the reference's. <paramref name="model"/>'s KV cache is stored as <paramref name="kvType"/>.
    /// </summary>
    public static TextScore Evaluate(DecoderModel model, ReadOnlySpan<int> tokens, int? bos, int context, DecoderModel? reference = null,
        Action<int, int>? progress = null, CancellationToken cancel = default, int maxChunks = int.MaxValue, DType kvType = DType.F16)
    {
        if (context < 4) throw new MoxingException($"the context must be at least 4 tokens, got {context}");
        if (maxChunks < 1) throw new MoxingException($"the chunk limit must be at least 1, got {maxChunks}");
        var chunks = Math.Min(tokens.Length / context, maxChunks);
        if (chunks < 1)
            throw new MoxingException($"the text has {tokens.Length} tokens, fewer than one chunk of {context}; use a longer text or a smaller --ctx");
        var vocab = model.Options.VocabSize;
        if (reference != null && reference.Options.VocabSize != vocab)
            throw new MoxingException($"the reference model has a vocabulary of {reference.Options.VocabSize}, the model {vocab}: they cannot be compared");
        var first = context / 2;
        var session = new InferenceSession(model, context, kvType: kvType);
        var referenceSession = reference == null ? null : new InferenceSession(reference, context);
        var logits = new float[context * vocab];
        var referenceLogits = reference == null ? null : new float[context * vocab];
        var batch = new int[context];
        var perToken = new List<double>();
        var referenceNll = 0.0;
        var divergences = new List<double>();
        var agreements = 0L;
        for (var chunk = 0; chunk < chunks; chunk++)
        {
            cancel.ThrowIfCancellationRequested();
            progress?.Invoke(chunk, chunks);
            tokens.Slice(chunk * context, context).CopyTo(batch);
            if (bos is { } b) batch[0] = b;
            session.Rewind(0);
            session.PrefillAll(batch, logits);
            if (referenceSession != null)
            {
                referenceSession.Rewind(0);
                referenceSession.PrefillAll(batch, referenceLogits);
            }
            for (var j = first; j < context - 1; j++)
            {
                var next = tokens[chunk * context + j + 1];
                var row = logits.AsSpan(j * vocab, vocab);
                perToken.Add(-LogSoftmaxAt(row, next));
                if (referenceLogits == null) continue;
                var referenceRow = referenceLogits.AsSpan(j * vocab, vocab);
                referenceNll -= LogSoftmaxAt(referenceRow, next);
                divergences.Add(KlDivergence(referenceRow, row));
                if (ArgMax(referenceRow) == ArgMax(row)) agreements++;
            }
        }
        progress?.Invoke(chunks, chunks);
        var count = perToken.Count;
        double sum = 0, sumSquares = 0;
        foreach (var nll in perToken)
        {
            sum += nll;
            sumSquares += nll * nll;
        }
        var mean = sum / count;
        var variance = Math.Max(0, sumSquares / count - mean * mean);
        var perplexity = Math.Exp(mean);
        // llama-perplexity's error estimate: the standard error of the mean NLL carried through exp.
        var error = count > 1 ? perplexity * Math.Sqrt(variance / (count - 1)) : 0;
        DivergenceScore? divergence = null;
        double? referencePerplexity = null;
        if (reference != null)
        {
            divergences.Sort();
            double klSum = 0;
            foreach (var d in divergences) klSum += d;
            divergence = new DivergenceScore(klSum / count, Percentile(divergences, 0.99), divergences[^1], (double)agreements / count);
            referencePerplexity = Math.Exp(referenceNll / count);
        }
        return new TextScore(perplexity, error, chunks, context, count, referencePerplexity, divergence);
    }

    /// <summary>log softmax(<paramref name="logits"/>)[<paramref name="token"/>], with the sum of exponentials in double as llama-perplexity.</summary>
    public static double LogSoftmaxAt(ReadOnlySpan<float> logits, int token)
    {
        var max = System.Numerics.Tensors.TensorPrimitives.Max(logits);
        double sumExp = 0;
        foreach (var v in logits) sumExp += Math.Exp(v - max);
        return logits[token] - max - Math.Log(sumExp);
    }

    /// <summary>KL(p ‖ q) in nats for the softmax distributions of two logit rows.</summary>
    public static double KlDivergence(ReadOnlySpan<float> pLogits, ReadOnlySpan<float> qLogits)
    {
        var pMax = System.Numerics.Tensors.TensorPrimitives.Max(pLogits);
        var qMax = System.Numerics.Tensors.TensorPrimitives.Max(qLogits);
        double pSum = 0, qSum = 0;
        for (var i = 0; i < pLogits.Length; i++)
        {
            pSum += Math.Exp(pLogits[i] - pMax);
            qSum += Math.Exp(qLogits[i] - qMax);
        }
        double pLogSum = Math.Log(pSum), qLogSum = Math.Log(qSum), kl = 0;
        for (var i = 0; i < pLogits.Length; i++)
        {
            var logP = pLogits[i] - pMax - pLogSum;
            var logQ = qLogits[i] - qMax - qLogSum;
            kl += Math.Exp(logP) * (logP - logQ);
        }
        return Math.Max(0, kl);
    }

    private static int ArgMax(ReadOnlySpan<float> row) => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(row);

    // Nearest-rank percentile of sorted values.
    private static double Percentile(List<double> sorted, double fraction) =>
        sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Count) - 1, 0, sorted.Count - 1)];
}
