using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Tests.Decoder;
using Moxing.Tests;

namespace Moxing.Models.Tests.Families;

/// <summary>
/// DeepSeek's multi-head latent attention caches the latent (llama.cpp's absorbed MLA): one row of kv_lora_rank + qk_rope_head_dim
/// per token and layer, keys and values at once; every step attends absorbed, so prefills in chunks, token by token, over a shared
/// prefix and in F16 or Q8_0 caches give the bits of one call.
/// </summary>
public sealed class DeepSeekLatentCacheTests
{
    /// <summary>The synthesized DeepSeek shapes (V2-Lite-like without a query rank, V3-like with one).</summary>
    public static TheoryData<string> Shapes() => ["tiny-deepseek-v2", "tiny-deepseek-v3"];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TheCacheHoldsOneRowOfLatentAndRotaryKeyPerTokenAndLayer(string shape)
    {
        using var synth = new SynthesizedModel(shape, "F16", 1);
        var o = synth.Model.Options;
        var pool = synth.Model.CreateBlockPool(1L << 20);
        Assert.Equal((1, 128 + 32, 128, true), (pool.KvHeadCount, pool.HeadDim, pool.ValueHeadDim, pool.ValuesInKeys));
        Assert.Equal(pool.RowBytes, pool.ValueRowBytes);
        Assert.Equal(o.LayerCount * 160 * 2L, KvBlockPool.BytesPerPosition(o, DType.F16));
        Assert.Equal(o.LayerCount * 5 * 34L, KvBlockPool.BytesPerPosition(o, DType.Q8_0));
        Assert.Equal(16 * o.LayerCount * 160 * 2L, pool.BytesPerBlock);
    }

    [Theory]
    [MemberData(nameof(TinyHfFolderTypes))]
    public void TheFolderCachesItsLatentAndPrefillsInChunksAsInOneCall(string modelType)
    {
        using var folder = new TinyHfFolder(modelType);
        using var model = ModelLoader.Load(folder.Folder);
        var decoder = model.RequireDecoder();
        Assert.Equal(decoder.Options.LayerCount * (32 + 8) * 4L, KvBlockPool.BytesPerPosition(decoder.Options, DType.F32));
        DecoderChecks.ChunksEqualOneCallEqualTokenByToken(decoder, DenseFamilyTests.Prompt, 0);
    }

    /// <summary>The DeepSeek model types TinyHfFolder writes.</summary>
    public static TheoryData<string> TinyHfFolderTypes() => DeepSeekFamilyTests.ModelTypes();

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ChunksAndTokenByTokenEqualOneCall(string shape)
    {
        using var synth = new SynthesizedModel(shape, "F16", 3);
        DecoderChecks.ChunksEqualOneCallEqualTokenByToken(synth.Model, DecoderChecks.Ids(23, 5, synth.Shape.Vocab), 0);
    }

    // F16 and Q8_0 latent rows: batched steps give each sequence's bits alone in the same cache type (5e-5 apart before a one-token and
    // a many-token product of F16 weights summed in one order), and the logits stay near an F32 cache's.
    [Theory]
    [InlineData("tiny-deepseek-v2", DType.F16, 2e-3)]
    [InlineData("tiny-deepseek-v2", DType.Q8_0, 2e-2)]
    [InlineData("tiny-deepseek-v3", DType.F16, 2e-3)]
    [InlineData("tiny-deepseek-v3", DType.Q8_0, 2e-2)]
    public void F16AndQ8LatentCachesRunBatchesAndStayNearF32(string shape, DType kv, double nearF32)
    {
        using var synth = new SynthesizedModel(shape, "F16", 4);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(synth.Model, 0, kv);
        int[] prompt = DecoderChecks.Ids(19, 6, synth.Shape.Vocab), next = [5], last = [9];
        DecoderChecks.AssertClose(DecoderChecks.Alone(synth.Model, DType.F32, prompt, next, last), DecoderChecks.Alone(synth.Model, kv, prompt, next, last),
            nearF32, $"{shape}, {kv} cache vs F32");
    }

    // A second sequence attaches the first's two full blocks of latent rows and prefills only the rest.
    [Fact]
    public void ASharedPrefixOfLatentRowsGivesTheLogitsOfAFreshSequence()
    {
        using var synth = new SynthesizedModel("tiny-deepseek-v2", "F16", 5);
        var model = synth.Model;
        var vocab = model.Options.VocabSize;
        var pool = model.CreateBlockPool(16L << 20, DType.F32);
        var scratch = model.CreateScratch(64);
        var prompt = DecoderChecks.Ids(40, 7, vocab);
        using var owner = new SequenceKv(pool, 100);
        var logits = new float[vocab];
        model.Forward(prompt, owner, scratch, logits, allLogits: false);
        using var reuser = new SequenceKv(pool, 100);
        reuser.AttachPrefix(owner.Blocks[..2]);
        model.Forward(prompt.AsSpan(32), reuser, scratch, logits, allLogits: false);
        DecoderChecks.AssertClose(DecoderChecks.Alone(model, DType.F32, prompt).AsSpan(39 * vocab), logits, 0, "reused latent prefix");
    }

    // A prompt split after one token, after seven, or token by token gives the bits of one call (which prefilled decompressed, where
    // that took fewer multiply-adds, 1.5e-2 away on a Q8_0 file: the two forms quantize different activations; F16 4e-7).
    [Theory]
    [InlineData("tiny-deepseek-v3", "Q8_0")]
    [InlineData("tiny-deepseek-v3", "F16")]
    [InlineData("tiny-deepseek-v2", "Q8_0")]
    public void APromptGivesTheBitsOfOneCallHoweverItIsSplit(string shape, string type)
    {
        using var synth = new SynthesizedModel(shape, type, 6);
        var prompt = DecoderChecks.Ids(29, 8, synth.Shape.Vocab);
        foreach (var kv in new[] { DType.F32, DType.F16, DType.Q8_0 })
            DecoderChecks.SplitsGiveTheBitsOfOneCall(synth.Model, prompt, kv);
    }
}
