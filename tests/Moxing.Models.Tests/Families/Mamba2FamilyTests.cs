using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Tests.Decoder;

namespace Moxing.Models.Tests.Families;

/// <summary>
/// Plain Mamba2 GGUFs (synth tiny-mamba2: no attention, no feed-forward, two B/C groups): the options llama.cpp's keys give, the
/// state carried across chunks, steps and batches, a sequence's only memory its recurrent state, and bad keys named.
/// </summary>
public sealed class Mamba2FamilyTests
{
    [Theory]
    [InlineData("F16")]
    [InlineData("Q8_0")]
    public void TheSynthesizedGgufReadsAsMamba2AndRunsBatchesAsAlone(string type)
    {
        using var synth = new SynthesizedModel("tiny-mamba2", type, 4);
        var o = synth.Model.Options;
        Assert.Equal((0, 0, false, 4), (o.KvLayerCount, o.HeadCount, o.HasFeedForward, o.Mamba!.Layers.Count(m => m)));
        Assert.Equal((8, 64, 32, 2, 2), (o.Mamba.Heads, o.Mamba.HeadDim, o.Mamba.StateSize, o.Mamba.Groups, o.Mamba.NormGroups));
        Assert.All(synth.Model.Weights.Layers, l => Assert.Null(l.Mlp));
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(synth.Model, 1e-5, DType.F32);
    }

    [Fact]
    public void PrefillInChunksEqualsOneCallEqualsTokenByTokenAndTheStateIsFreed()
    {
        using var synth = new SynthesizedModel("tiny-mamba2", "F16", 4);
        var decoder = synth.Model;
        var vocab = decoder.Options.VocabSize;
        var prompt = DecoderChecks.Ids(13, 5, vocab);
        DecoderChecks.ChunksEqualOneCallEqualTokenByToken(decoder, prompt);
        // The blocks of a model without attention hold no bytes: the pool is the states' and the blocks' bookkeeping.
        var pool = decoder.CreateBlockPool(1L << 20, DType.F16, sequences: 2);
        Assert.Equal((0L, 2 * KvBlockPool.StateBytesPerSequence(decoder.Options)), (pool.BytesPerBlock, pool.States!.Bytes));
        using (var sequence = new SequenceKv(pool, 64))
        {
            decoder.Forward(prompt, sequence, decoder.CreateScratch(16), new float[vocab], allLogits: false);
            Assert.Equal(1, pool.States.HeldSlotCount);
        }
        Assert.Equal((0, pool.BlockCount), (pool.States.HeldSlotCount, pool.FreeBlockCount));
    }

    [Theory]
    [InlineData("mamba2.feed_forward_length", 64u, "must be 0")]
    [InlineData("mamba2.ssm.group_count", 3u, "'mamba2.ssm.group_count' is 3")]
    [InlineData("mamba2.ssm.conv_kernel", 1u, "'mamba2.ssm.conv_kernel' must be at least 2")]
    public void BadKeysAreErrorsNamingThem(string key, uint value, string message)
    {
        using var synth = new SynthesizedModel("tiny-mamba2", "F16", 4);
        var path = Path.Combine(synth.Folder, "bad.gguf");
        DecoderChecks.CopyWithout(synth.Path, path, "", w => w.Set(key, value));
        Assert.Contains(message, Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(path)).Message);
    }
}
