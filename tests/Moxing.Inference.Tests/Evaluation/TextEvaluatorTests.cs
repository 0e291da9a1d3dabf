using Moxing.Inference.Evaluation;
using Moxing.Inference.Sessions;
using Moxing.Models;
using Moxing.Tests;

namespace Moxing.Inference.Tests.Evaluation;

public class TextEvaluatorTests
{
    [Fact]
    public void PerplexityScoresTheSecondHalfOfEachChunkAfterBos()
    {
        using var model = ModelLoader.Load(Fixtures.Path("gguf", "llama-k256.F32.gguf"));
        var decoder = model.RequireDecoder();
        var rng = new Random(4);
        var tokens = Enumerable.Range(0, 50).Select(_ => rng.Next(3, decoder.Options.VocabSize)).ToArray();
        var score = TextEvaluator.Evaluate(decoder, tokens, bos: 1, context: 16);
        Assert.Equal(3, score.Chunks);
        Assert.Equal(3 * 7, score.ScoredTokens);
        // Independently: each chunk fed from scratch with BOS first, positions 8..14 predicting the next token.
        var vocab = decoder.Options.VocabSize;
        double nll = 0;
        for (var c = 0; c < 3; c++)
        {
            var chunk = tokens.AsSpan(c * 16, 16).ToArray();
            chunk[0] = 1;
            var session = new InferenceSession(decoder, 16);
            var logits = new float[16 * vocab];
            session.PrefillAll(chunk, logits);
            for (var j = 8; j < 15; j++)
            {
                var row = logits.AsSpan(j * vocab, vocab);
                var max = row.ToArray().Max();
                var logSum = Math.Log(row.ToArray().Sum(v => Math.Exp(v - max)));
                nll -= row[tokens[c * 16 + j + 1]] - max - logSum;
            }
        }
        Assert.Equal(Math.Exp(nll / 21), score.Perplexity, 1e-9 * score.Perplexity);
    }

    [Fact]
    public void AModelAgreesWithItselfAndDivergesFromItsQuantizedCopy()
    {
        using var f32 = ModelLoader.Load(Fixtures.Path("gguf", "llama-k256.F32.gguf"));
        using var q4 = ModelLoader.Load(Fixtures.Path("gguf", "llama-k256.Q4_0.gguf"));
        var rng = new Random(5);
        var tokens = Enumerable.Range(0, 32).Select(_ => rng.Next(3, 200)).ToArray();
        var self = TextEvaluator.Evaluate(f32.RequireDecoder(), tokens, null, 16, f32.RequireDecoder()).Divergence!;
        Assert.Equal(0, self.MeanKl, 1e-9);
        Assert.Equal(1, self.Top1Agreement);
        var quantized = TextEvaluator.Evaluate(q4.RequireDecoder(), tokens, null, 16, f32.RequireDecoder()).Divergence!;
        Assert.True(quantized.MeanKl > 0 && quantized.P99Kl >= quantized.MeanKl && quantized.MaxKl >= quantized.P99Kl);
    }

    [Fact]
    public void KlDivergenceMatchesTheDefinition()
    {
        float[] p = [1f, 2f, 0.5f], q = [0.5f, 2.5f, 0f];
        double[] Softmax(float[] x) { var e = x.Select(v => Math.Exp(v)).ToArray(); var s = e.Sum(); return e.Select(v => v / s).ToArray(); }
        var (sp, sq) = (Softmax(p), Softmax(q));
        var expected = sp.Select((v, i) => v * Math.Log(v / sq[i])).Sum();
        Assert.Equal(expected, TextEvaluator.KlDivergence(p, q), 1e-12);
        Assert.Equal(Math.Log(sp[1]), TextEvaluator.LogSoftmaxAt(p, 1), 1e-6);
    }

    [Fact]
    public void TooShortTextIsAnError()
    {
        using var model = ModelLoader.Load(Fixtures.Path("gguf", "llama-k256.F32.gguf"));
        Assert.Throws<Core.MoxingException>(() => TextEvaluator.Evaluate(model.RequireDecoder(), new int[10], null, 16));
    }
}
