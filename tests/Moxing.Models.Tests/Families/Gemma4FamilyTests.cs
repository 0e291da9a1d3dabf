using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Mixes;
using Moxing.Core.Tensors;
using Moxing.Models.Conversion;
using Moxing.Models.Tests.Decoder;
using Moxing.Tests;

namespace Moxing.Models.Tests.Families;

/// <summary>
/// Gemma 4 (<see cref="TinyHfFolder"/>'s gemma4_text and its multimodal wrapper gemma4) gives <see cref="DenseReference"/>'s
/// logits, its F32 GGUF the folder's; each of its switches moves the logits far beyond the tolerance; shared keys and values
/// and heads of two sizes work in chunks and batches over the paged KV cache.
/// </summary>
public sealed partial class Gemma4FamilyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-gemma4-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static float[] Reference(string folder) => DenseFamilyTests.Flatten(new DenseReference(folder).Forward(DenseFamilyTests.Prompt));

    [Theory]
    [InlineData("gemma4_text")]
    [InlineData("gemma4")]
    public void TheFolderMatchesTheReference(string modelType)
    {
        using var folder = new TinyHfFolder(modelType);
        DecoderChecks.AssertClose(Reference(folder.Folder), DenseFamilyTests.Logits(folder.Folder), 1e-4, modelType);
    }

    // Values projected apart, no per-layer inputs (the 26B/31B shape), no sharing.
    [Theory]
    [InlineData("v_proj")]
    [InlineData("no_per_layer_inputs")]
    [InlineData("no_sharing")]
    public void ConfigVariantsMatchTheReference(string variant)
    {
        using var folder = new TinyHfFolder("gemma4_text", edit: c =>
        {
            if (variant == "v_proj") c["attention_k_eq_v"] = false;
            if (variant == "no_per_layer_inputs") c["hidden_size_per_layer_input"] = 0;
            if (variant == "no_sharing") c["num_kv_shared_layers"] = 0;
        });
        DecoderChecks.AssertClose(Reference(folder.Folder), DenseFamilyTests.Logits(folder.Folder), 1e-4, "gemma4 " + variant);
    }

    [Theory]
    [InlineData("per_layer_inputs")]
    [InlineData("kv_sharing")]
    [InlineData("v_norm")]
    [InlineData("k_eq_v")]
    [InlineData("proportional")]
    [InlineData("layer_scalar")]
    [InlineData("attention_scale")]
    public void DroppingASwitchMovesTheLogitsFarBeyondTheTolerance(string drop)
    {
        using var folder = new TinyHfFolder("gemma4_text");
        var error = DenseFamilyTests.DroppedSwitchError(folder.Folder, drop);
        Assert.True(error > 1e-3, $"gemma4 without {drop}: max|Δ|/max|ref| = {error:E2}");
    }

    [Theory]
    [InlineData("gemma4_text")]
    [InlineData("gemma4")]
    public void TheConvertedGgufMatchesTheFolder(string modelType)
    {
        using var folder = new TinyHfFolder(modelType);
        var path = Path.Combine(_dir, modelType + ".gguf");
        using (var input = new HfGgufInput(folder.Folder))
            GgufQuantizer.Quantize(input, path, QuantizationMix.Find("F32")!, null, WorkerPool.Shared);
        using (var file = Core.Formats.Gguf.GgufFile.Open(path))
        {
            var m = file.Metadata;
            Assert.Equal("gemma4", m.GetString("general.architecture"));
            Assert.Equal(new uint[] { 2, 2, 1, 2, 2, 1 }, m.GetArray<uint>("gemma4.attention.head_count_kv"));
            Assert.Equal(new uint[] { 96, 96, 96, 96, 192, 192 }, m.GetArray<uint>("gemma4.feed_forward_length"));
            Assert.Equal(new[] { true, true, false, true, true, false }, m.GetArray<bool>("gemma4.attention.sliding_window_pattern"));
            Assert.Equal((32, 16, 32, 16), (m.GetInt32("gemma4.attention.key_length"), m.GetInt32("gemma4.attention.key_length_swa"),
                m.GetInt32("gemma4.rope.dimension_count"), m.GetInt32("gemma4.rope.dimension_count_swa")));
            Assert.Equal((2, 8, 4), (m.GetInt32("gemma4.attention.shared_kv_layers"), m.GetInt32("gemma4.embedding_length_per_layer_input"), m.GetInt32("gemma4.attention.sliding_window")));
            Assert.Equal([16L], file.Find("rope_freqs.weight")!.Shape);
            Assert.Equal([1L], file.Find("blk.0.layer_output_scale.weight")!.Shape);
            Assert.Equal([96L, 48L], file.Find("per_layer_token_embd.weight")!.Shape);
            Assert.Null(file.Find("blk.2.attn_v.weight"));
            Assert.Null(file.Find("blk.4.attn_k.weight"));
        }
        DecoderChecks.AssertClose(DenseFamilyTests.Logits(folder.Folder), DenseFamilyTests.Logits(path), 1e-5, modelType + " → F32 GGUF");
    }

    // What llama.cpp's gemma4 cannot express is refused by key rather than converted to compute differently.
    [Fact]
    public void FullLayersWithoutProportionalRopeAreNotConverted()
    {
        using var folder = new TinyHfFolder("gemma4_text", edit: c => c["rope_parameters"]!["full_attention"]!["rope_type"] = "default");
        Assert.Contains("'rope_parameters' rotates the full layers by default RoPE", Assert.Throws<Core.InvalidModelFileException>(() => new HfGgufInput(folder.Folder)).Message);
    }

    [Fact]
    public void PrefillInChunksEqualsOneCallEqualsTokenByToken()
    {
        using var folder = new TinyHfFolder("gemma4_text");
        using var model = ModelLoader.Load(folder.Folder);
        DecoderChecks.ChunksEqualOneCallEqualTokenByToken(model.RequireDecoder(), DenseFamilyTests.Prompt);
    }

    [Fact]
    public void BatchesEqualEachSequenceAlone()
    {
        using var folder = new TinyHfFolder("gemma4_text");
        using var model = ModelLoader.Load(folder.Folder);
        var decoder = model.RequireDecoder();
        // Only the layers that do not share store keys and values: four of six, the full one with one head of 32.
        Assert.Equal(4, decoder.Options.KvLayerCount);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(decoder, 1e-5, DType.F32);
    }

    // llama.cpp's gemma4 keys and names: head sizes and key/value heads per kind of layer, sharing, per-layer inputs and widths.
    [Theory]
    [InlineData("F16")]
    [InlineData("Q8_0")]
    public void TheSynthesizedGgufReadsItsShapeAndRunsBatchesAsAlone(string type)
    {
        using var synth = new SynthesizedModel("tiny-gemma4", type, 3);
        var o = synth.Model.Options;
        Assert.Equal((64, 128, 2, 1, 32), (o.HeadDim, o.FullHeadDim, o.KvHeadCount, o.FullKvHeadCount, o.PerLayerInputSize));
        Assert.Equal([-1, -1, -1, 1, 1, 2], o.KvSources);
        Assert.Equal([512, 512, 512, 1024, 1024, 1024], o.FeedForwardLengths);
        Assert.Equal([8, 8, 0, 8, 8, 0], o.SlidingWindows);
        Assert.True(o.KeysAsValues && o.ValueNorm && o.LayerOutputScales);
        Assert.Equal((16, 128, 10000.0), (o.Rope!.FrequencyFactors!.Count(f => f == 1), o.Rope.RotaryDim, o.SlidingRope!.Theta));
        // the lone step's bits (F16 differed by up to 1e-4 while one vector summed in another order than several)
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(synth.Model, 0, DType.F32);
    }
}
