using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Tests;

namespace Moxing.Models.Tests.Decoder;

/// The references of the batched-step tests: each sequence run alone.
internal static class SequenceRuns
{
    /// The logits of feeding `chunks` one after another to a fresh sequence of its own (all rows of the last chunk).
    public static float[] Alone(DecoderModel model, DType kv, params int[][] chunks)
    {
        var pool = KvBlockPool.ForPositions(model.Options, kv, 128);
        using var sequence = new SequenceKv(pool, 128);
        var scratch = model.CreateScratch(64);
        float[] logits = [];
        foreach (var chunk in chunks)
        {
            logits = new float[chunk.Length * model.Options.VocabSize];
            model.Forward(chunk, sequence, scratch, logits, allLogits: true);
        }
        return logits;
    }

    /// Batched logits equal the alone ones within 1e-5 of the largest.
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        var error = LogitErrors.RelativeMax(expected, actual);
        Assert.True(error <= 1e-5, $"{what}: max|Δ|/max|ref| = {error:E2}");
    }
}
