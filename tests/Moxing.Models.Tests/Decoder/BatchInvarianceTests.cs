using Moxing.Core.Tensors;

namespace Moxing.Models.Tests.Decoder;

/// <summary>
/// Quantized, F16 and BF16 files of models with routed experts and recurrent state run a mixed batch (decoding, prefilling, every
/// row's logits) with each sequence's lone logits bit for bit, with every KV cache type: a request's reply does not depend on who
/// else is served. Before every product was batch-invariant these moved by up to 2e-2 (a top-k choice or an activation code
/// flipped; F16 weights by up to 3e-5, their one-vector kernel summing in another order). A prompt in chunks or token by token
/// gives one call's bits too (what prefix reuse and chunked prefill rely on), MLA's included.
/// </summary>
public sealed class BatchInvarianceTests
{
    [Theory]
    [InlineData("tiny-qwen35moe", "Q8_0")] // 1.8e-2 before: F32 router and Q8_0 experts, Gated DeltaNet
    [InlineData("tiny-qwen3next", "Q4_K_M")] // 1.2e-2
    [InlineData("tiny-lfm2-moe", "Q8_0")] // 1.0e-2
    [InlineData("tiny-gemma3n", "Q4_K_M")] // 2.2e-2
    [InlineData("tiny-gemma4-moe", "Q8_0")] // 3.4e-3
    [InlineData("tiny-bailingmoe2", "Q8_0")] // 5.2e-3
    [InlineData("tiny-glm4moe", "Q4_K_M")] // 1.9e-3
    [InlineData("tiny-deepseek-v3", "Q8_0")] // 4.3e-5
    [InlineData("tiny-granitehybrid", "Q4_K_M")]
    [InlineData("tiny-falcon-h1", "Q8_0")]
    public void AQuantizedFileRunsBatchesBitForBitAsEachSequenceAlone(string shape, string type)
    {
        using var synth = new SynthesizedModel(shape, type, 4);
        foreach (var kv in new[] { DType.F32, DType.F16, DType.Q8_0 })
            DecoderChecks.MixedBatchMatchesEachSequenceAlone(synth.Model, 0, kv);
        DecoderChecks.ChunksEqualOneCallEqualTokenByToken(synth.Model, DecoderChecks.Ids(23, 5, synth.Shape.Vocab), 0);
    }

    [Theory]
    [InlineData("tiny-gemma3n", "F16")] // 3e-5 before: F16 times one vector summed in another order than times several
    [InlineData("tiny-gemma3n", "BF16")]
    [InlineData("tiny-qwen35moe", "F16")]
    [InlineData("tiny-deepseek-v3", "F16")]
    [InlineData("tiny-deepseek-v3", "BF16")]
    [InlineData("tiny-lfm2-moe", "BF16")]
    [InlineData("tiny-falcon-h1", "F16")]
    public void AHalfPrecisionFileRunsBatchesOfAnySizeBitForBitAsEachSequenceAlone(string shape, string type)
    {
        using var synth = new SynthesizedModel(shape, type, 4);
        foreach (var kv in new[] { DType.F32, DType.F16, DType.Q8_0 })
            DecoderChecks.MixedBatchMatchesEachSequenceAlone(synth.Model, 0, kv);
        // the batch sizes a server steps with, and the edges of the four-vector tiles of float products
        DecoderChecks.DecodeBatchesGiveEachSequenceItsBits(synth.Model, DType.F16, 1, 2, 3, 4, 5, 16, 17);
        DecoderChecks.ChunksEqualOneCallEqualTokenByToken(synth.Model, DecoderChecks.Ids(23, 5, synth.Shape.Vocab), 0);
    }
}
