using System.Text.Json.Nodes;
using Moxing.Core;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Mixes;
using Moxing.Core.Tensors;
using Moxing.Models.Conversion;
using Moxing.Models.Decoder;
using Moxing.Models.Families;
using Moxing.Models.Tests.Decoder;
using Moxing.Tests;

namespace Moxing.Models.Tests.Families;

/// <summary>
/// LFM2 (<see cref="TinyHfFolder"/>'s lfm2: convolution and attention layers mixed) gives <see cref="DenseReference"/>'s logits, its
/// F32 GGUF the folder's; the convolution's state carries across chunks, steps and batches, and is freed with the sequence.
/// </summary>
public sealed class Lfm2FamilyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-lfm2-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void TheFolderMatchesTheReference()
    {
        using var folder = new TinyHfFolder("lfm2");
        DecoderChecks.AssertClose(DenseFamilyTests.Flatten(new DenseReference(folder.Folder).Forward(DenseFamilyTests.Prompt)),
            DenseFamilyTests.Logits(folder.Folder), 1e-4, "lfm2");
    }

    // conv_bias puts biases on in_proj, the convolution and out_proj; full_attn_idxs alone says which layers attend.
    [Theory]
    [InlineData("conv_bias")]
    [InlineData("full_attn_idxs")]
    public void ConfigVariantsMatchTheReference(string variant)
    {
        using var folder = new TinyHfFolder("lfm2", edit: c =>
        {
            if (variant == "conv_bias") c["conv_bias"] = true;
            else
            {
                c.Remove("layer_types");
                c["full_attn_idxs"] = new JsonArray(1, 4);
            }
        });
        var logits = DenseFamilyTests.Logits(folder.Folder);
        if (variant == "full_attn_idxs") WriteLayerTypes(folder.Folder);
        DecoderChecks.AssertClose(DenseFamilyTests.Flatten(new DenseReference(folder.Folder).Forward(DenseFamilyTests.Prompt)),
            logits, 1e-4, "lfm2 " + variant);
    }

    // The reference reads layer_types: the ones transformers derives from full_attn_idxs (1 and 4 attend), written for it once
    // the engine has run on full_attn_idxs alone.
    private static void WriteLayerTypes(string folder)
    {
        var path = Path.Combine(folder, "config.json");
        var c = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        c["layer_types"] = new JsonArray([.. TinyHfFolder.Lfm2Layers.Select(t => JsonValue.Create(t))]);
        File.WriteAllText(path, c.ToJsonString());
    }

    [Theory]
    [InlineData("qk_norm")]
    [InlineData("conv_gate")]
    [InlineData("conv_order")]
    public void DroppingASwitchMovesTheLogitsFarBeyondTheTolerance(string drop)
    {
        using var folder = new TinyHfFolder("lfm2");
        var error = DenseFamilyTests.DroppedSwitchError(folder.Folder, drop);
        Assert.True(error > 1e-3, $"lfm2 without {drop}: max|Δ|/max|ref| = {error:E2}");
    }

    [Fact]
    public void TheConvertedGgufMatchesTheFolder()
    {
        using var folder = new TinyHfFolder("lfm2");
        var path = Path.Combine(_dir, "lfm2.gguf");
        using (var input = new HfGgufInput(folder.Folder))
            GgufQuantizer.Quantize(input, path, QuantizationMix.Find("F32")!, null, WorkerPool.Shared);
        using (var file = Core.Formats.Gguf.GgufFile.Open(path))
        {
            Assert.Equal(new uint[] { 0, 2, 0, 0, 2 }, file.Metadata.GetArray<uint>("lfm2.attention.head_count_kv"));
            Assert.Equal(3, file.Metadata.GetInt32("lfm2.shortconv.l_cache"));
            Assert.Equal(TinyHfFolder.Lfm2FeedForward, file.Metadata.GetInt32("lfm2.feed_forward_length"));
            Assert.Equal([64L, 3L], file.Find("blk.0.shortconv.conv.weight")!.Shape);
            Assert.NotNull(file.Find("token_embd_norm.weight"));
        }
        DecoderChecks.AssertClose(DenseFamilyTests.Logits(folder.Folder), DenseFamilyTests.Logits(path), 1e-5, "lfm2 → F32 GGUF");
    }

    [Fact]
    public void BiasedConvolutionsAreNotConverted()
    {
        using var folder = new TinyHfFolder("lfm2", edit: c => c["conv_bias"] = true);
        Assert.Contains("'conv_bias' is true", Assert.Throws<InvalidModelFileException>(() => new HfGgufInput(folder.Folder)).Message);
    }

    // The convolution's state carries across calls: chunks of 5, 1 and 7 tokens and 13 single tokens give one call's logits.
    [Fact]
    public void PrefillInChunksEqualsOneCallEqualsTokenByToken()
    {
        using var folder = new TinyHfFolder("lfm2");
        using var model = ModelLoader.Load(folder.Folder);
        DecoderChecks.ChunksEqualOneCallEqualTokenByToken(model.RequireDecoder(), DenseFamilyTests.Prompt);
    }

    [Fact]
    public void BatchesEqualEachSequenceAlone()
    {
        using var folder = new TinyHfFolder("lfm2");
        using var model = ModelLoader.Load(folder.Folder);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(model.RequireDecoder(), 1e-5, DType.F32);
    }

    // A released (finished or cancelled) sequence gives its state slot and blocks back; a new one starts from a zero state, so it
    // repeats the first one's logits; a sequence with state is never rewound or given a prefix.
    [Fact]
    public void AReleasedSequenceFreesItsStateAndANewOneStartsAfresh()
    {
        using var folder = new TinyHfFolder("lfm2");
        using var model = ModelLoader.Load(folder.Folder);
        var decoder = model.RequireDecoder();
        var vocab = decoder.Options.VocabSize;
        var pool = decoder.CreateBlockPool(1L << 20, DType.F32, sequences: 2);
        var scratch = decoder.CreateScratch(32);
        Assert.Equal((2, 0), (pool.States!.SlotCount, pool.States.HeldSlotCount));
        var first = new float[vocab];
        var again = new float[vocab];
        using (var a = new SequenceKv(pool, 64))
        {
            decoder.Forward(DenseFamilyTests.Prompt, a, scratch, first, allLogits: false);
            Assert.Equal(1, pool.States.HeldSlotCount);
            Assert.Throws<InvalidOperationException>(() => a.Truncate(4));
            Assert.Throws<InvalidOperationException>(() => a.AttachPrefix([0]));
            using var b = new SequenceKv(pool, 64);
            decoder.Forward([1, 2], b, scratch, new float[vocab], allLogits: false);
            using var c = new SequenceKv(pool, 64);
            Assert.Throws<RecurrentStateExhaustedException>(() => decoder.Forward([3], c, scratch, new float[vocab], allLogits: false));
            Assert.Equal(0, c.Length);
        }
        Assert.Equal((0, pool.BlockCount), (pool.States.HeldSlotCount, pool.FreeBlockCount));
        using var d = new SequenceKv(pool, 64);
        decoder.Forward(DenseFamilyTests.Prompt, d, scratch, again, allLogits: false);
        Assert.Equal(first, again);
    }

    // llama.cpp's lfm2 keys and names: the conv layers from head_count_kv's zeros, the taps, the final norm as token_embd_norm.
    [Theory]
    [InlineData("F16")]
    [InlineData("Q8_0")]
    public void TheSynthesizedGgufReadsItsLayersAndRunsBatchesAsAlone(string type)
    {
        using var synth = new SynthesizedModel("tiny-lfm2", type, 3);
        var o = synth.Model.Options;
        Assert.Equal([true, true, false, true, true, false], o.ShortConv!.Layers);
        Assert.Equal((3, 2, 2, 512, true), (o.ShortConv.Kernel, o.KvHeadCount, o.KvLayerCount, o.IntermediateSize, o.QkNorm));
        Assert.Equal(Core.Ops.RopeStyle.Half, o.Rope!.Style);
        Assert.Equal(Core.Tensors.DType.F32, synth.Loaded.Tensors.Single(t => t.Name == "blk.0.shortconv.conv.weight").Type);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(synth.Model, 1e-5, DType.F32);
    }

    // Lfm2MLP's widths for the published configs: LFM2-350M, 700M and 1.2B (auto-adjusted), 2.6B (not).
    [Theory]
    [InlineData(6656, true, 4608)]
    [InlineData(10240, true, 6912)]
    [InlineData(12288, true, 8192)]
    [InlineData(10752, false, 10752)]
    public void TheMlpWidthIsAdjustedAsTransformersDoes(int blockFfDim, bool adjust, int expected)
    {
        var c = HfConfig.Parse($$"""{"block_ff_dim": {{blockFfDim}}, "intermediate_size": 1, "block_auto_adjust_ff_dim": {{(adjust ? "true" : "false")}}, "block_ffn_dim_multiplier": 1.0, "block_multiple_of": 256}""", "config.json");
        Assert.Equal(expected, Lfm2Family.FeedForward(c));
    }

    [Theory]
    [InlineData("layer_types", "'layer_types' has 'mamba'")]
    [InlineData("conv_L_cache", "'conv_L_cache' must be at least 2")]
    [InlineData("kernel", "tensor 'model.layers.0.conv.conv.weight' has shape [64, 1, 2]")]
    public void BadConfigsAndTensorsAreErrorsNamingThem(string broken, string message)
    {
        using var folder = new TinyHfFolder("lfm2", edit: c =>
        {
            if (broken == "layer_types") c["layer_types"]![0] = "mamba";
            if (broken == "conv_L_cache") c["conv_L_cache"] = 1;
        });
        if (broken == "kernel")
        {
            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder.Folder, "config.json")))!.AsObject();
            config["conv_L_cache"] = 4;
            File.WriteAllText(Path.Combine(folder.Folder, "config.json"), config.ToJsonString());
            message = "tensor 'model.layers.0.conv.conv.weight' has shape [64, 1, 3], expected [64, 4]";
        }
        Assert.Contains(message, Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
    }
}
