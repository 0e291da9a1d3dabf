using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Mixes;
using Moxing.Core.Tensors;
using Moxing.Models.Conversion;
using Moxing.Models.Families;
using Moxing.Models.Tests.Decoder;
using Moxing.Tests;

namespace Moxing.Models.Tests.Families;

/// <summary>
/// Gemma 3n (<see cref="TinyHfFolder"/>'s gemma3n_text and its multimodal wrapper gemma3n) gives <see cref="DenseReference"/>'s
/// logits, its F32 GGUF the folder's; each of its switches moves the logits far beyond the tolerance; AltUp's streams, shared keys
/// and values and per-layer inputs work in chunks and batches over the paged KV cache.
/// </summary>
public sealed class Gemma3nFamilyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-gemma3n-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static float[] Reference(string folder) => DenseFamilyTests.Flatten(new DenseReference(folder).Forward(DenseFamilyTests.Prompt));

    [Theory]
    [InlineData("gemma3n_text")]
    [InlineData("gemma3n")]
    public void TheFolderMatchesTheReference(string modelType)
    {
        using var folder = new TinyHfFolder(modelType);
        DecoderChecks.AssertClose(Reference(folder.Folder), DenseFamilyTests.Logits(folder.Folder), 1e-4, modelType);
    }

    // Correction coefficients clamped to a clip they exceed; no correct_output_scale; no sharing; the second stream active.
    [Theory]
    [InlineData("coef_clip")]
    [InlineData("no_correct_scale")]
    [InlineData("no_sharing")]
    [InlineData("active_stream")]
    public void ConfigVariantsMatchTheReference(string variant)
    {
        using var folder = new TinyHfFolder("gemma3n_text", edit: c =>
        {
            if (variant == "coef_clip") c["altup_coef_clip"] = 0.1;
            if (variant == "no_correct_scale") c["altup_correct_scale"] = false;
            if (variant == "no_sharing") c["num_kv_shared_layers"] = 0;
            if (variant == "active_stream") c["altup_active_idx"] = 1;
        });
        DecoderChecks.AssertClose(Reference(folder.Folder), DenseFamilyTests.Logits(folder.Folder), 1e-4, "gemma3n " + variant);
        if (variant == "coef_clip")
            Assert.True(DenseFamilyTests.DroppedSwitchError(folder.Folder, "coef_clip") > 1e-3, "the clip does not matter");
    }

    [Theory]
    [InlineData("altup_predict")]
    [InlineData("altup_correct")]
    [InlineData("correct_scale")]
    [InlineData("laurel")]
    [InlineData("sparsity")]
    [InlineData("per_layer_inputs")]
    [InlineData("kv_sharing")]
    [InlineData("softcap")]
    [InlineData("v_norm")]
    [InlineData("attention_scale")]
    public void DroppingASwitchMovesTheLogitsFarBeyondTheTolerance(string drop)
    {
        using var folder = new TinyHfFolder("gemma3n_text");
        var error = DenseFamilyTests.DroppedSwitchError(folder.Folder, drop);
        Assert.True(error > 1e-3, $"gemma3n without {drop}: max|Δ|/max|ref| = {error:E2}");
    }

    [Fact]
    public void TheOptionsReadTheConfig()
    {
        using var folder = new TinyHfFolder("gemma3n");
        using var model = ModelLoader.Load(folder.Folder);
        var o = model.RequireDecoder().Options;
        Assert.Equal([-1, -1, -1, -1, 3, 2], o.KvSources);
        Assert.Equal([96, 96, 96, 128, 128, 128], o.FeedForwardLengths);
        Assert.Equal([4, 4, 0, 4, 4, 0], o.SlidingWindows);
        Assert.Equal((4, 0, 4, 8), (o.AltUp!.Streams, o.AltUp.ActiveStream, o.LaurelRank, o.PerLayerInputSize));
        // torch takes p as float32, as this does: icdf(0.95f) is llama.cpp's 1.6448533535003662f.
        Assert.Equal(1.6448533535003662f, o.GateSparsity[0], 6);
        Assert.Equal(0.2533471f, o.GateSparsity[1], 6);
        Assert.Equal((float?)null, o.GateSparsityOf(2));
        Assert.Equal((100000.0, 10000.0), (o.Rope!.Theta, o.SlidingRope!.Theta));
    }

    // The quantile torch's Normal(0, 1).icdf gives, which turns activation_sparsity_pattern into the gate's cutoff.
    [Theory]
    [InlineData(0.5, 0.0)]
    [InlineData(0.95, 1.6448536269514722)]
    [InlineData(0.975, 1.959963984540054)]
    [InlineData(0.05, -1.6448536269514722)]
    [InlineData(1e-10, -6.361340902404056)]
    public void TheNormalQuantileIsExact(double p, double x) => Assert.Equal(x, NormalQuantile.Of(p), 12);

    [Theory]
    [InlineData("gemma3n_text")]
    [InlineData("gemma3n")]
    public void TheConvertedGgufMatchesTheFolder(string modelType)
    {
        using var folder = new TinyHfFolder(modelType);
        var path = Path.Combine(_dir, modelType + ".gguf");
        using (var input = new HfGgufInput(folder.Folder))
            GgufQuantizer.Quantize(input, path, QuantizationMix.Find("F32")!, null, WorkerPool.Shared);
        using (var file = Core.Formats.Gguf.GgufFile.Open(path))
        {
            var m = file.Metadata;
            Assert.Equal("gemma3n", m.GetString("general.architecture"));
            Assert.Equal(new[] { true, true, false, true, true, false }, m.GetArray<bool>("gemma3n.attention.sliding_window_pattern"));
            Assert.Equal((2, 8, 4, 0, 4), (m.GetInt32("gemma3n.attention.shared_kv_layers"), m.GetInt32("gemma3n.embedding_length_per_layer_input"),
                m.GetInt32("gemma3n.altup.num_inputs"), m.GetInt32("gemma3n.altup.active_idx"), m.GetInt32("gemma3n.attention.sliding_window")));
            Assert.Equal(float.NegativeInfinity, m.GetArray<float>("gemma3n.activation_sparsity_scale")[2]);
            Assert.Equal((100000f, 10000f), (m.GetSingle("gemma3n.rope.freq_base"), m.GetSingle("gemma3n.rope.freq_base_swa")));
            Assert.Equal([3L, 64L, 64L], file.Find("altup_proj.weight")!.Shape);
            Assert.Equal([3L, 64L, 64L], file.Find("altup_unembd_proj.weight")!.Shape);
            // llama.cpp's converter pads the per-layer table to the vocabulary with zero rows.
            Assert.Equal([96L, 48L], file.Find("per_layer_token_embd.weight")!.Shape);
            Assert.Equal([4L, 4L], file.Find("blk.0.altup_correct_coef.weight")!.Shape);
            Assert.Equal([64L], file.Find("blk.0.altup_correct_scale.weight")!.Shape);
            // The sharing layers' unused k and v go out as the checkpoint has them: llama.cpp's gemma3n loads them.
            Assert.NotNull(file.Find("blk.4.attn_k.weight"));
        }
        // Ids past the folder's table read its row 0 but the GGUF's zero rows, as llama.cpp's: compared on the ids both hold.
        int[] prompt = [.. DenseFamilyTests.Prompt.Select(id => id % 80)];
        DecoderChecks.AssertClose(DenseFamilyTests.Logits(folder.Folder, prompt), DenseFamilyTests.Logits(path, prompt), 1e-5, modelType + " → F32 GGUF");
    }

    [Fact]
    public void PrefillInChunksEqualsOneCallEqualsTokenByToken()
    {
        using var folder = new TinyHfFolder("gemma3n_text");
        using var model = ModelLoader.Load(folder.Folder);
        DecoderChecks.ChunksEqualOneCallEqualTokenByToken(model.RequireDecoder(), DenseFamilyTests.Prompt);
    }

    [Fact]
    public void BatchesEqualEachSequenceAlone()
    {
        using var folder = new TinyHfFolder("gemma3n_text");
        using var model = ModelLoader.Load(folder.Folder);
        var decoder = model.RequireDecoder();
        // Only the layers that do not share store keys and values: four of six.
        Assert.Equal(4, decoder.Options.KvLayerCount);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(decoder, 1e-5, DType.F32);
    }

    // llama.cpp's gemma3n keys and names: sliding pattern, sharing (layers 20 and 21 read sliding layer 18, as llama.cpp's
    // n_layer_kv_from_start of 20 has them), per-layer inputs, AltUp stacks and coefficients, Laurel, sparsity on the first 10 layers.
    [Theory]
    [InlineData("F16")]
    [InlineData("Q8_0")]
    public void TheSynthesizedGgufReadsItsShapeAndRunsBatchesAsAlone(string type)
    {
        using var synth = new SynthesizedModel("tiny-gemma3n", type, 3);
        var o = synth.Model.Options;
        Assert.Equal((4, 0, 64, 256), (o.AltUp!.Streams, o.AltUp.ActiveStream, o.LaurelRank, o.PerLayerInputSize));
        Assert.Equal((20, 18, 18), (o.KvLayerCount, o.KvSources[20], o.KvSources[21]));
        Assert.Equal((8, 0, 10000.0), (o.WindowOf(18), o.WindowOf(19), o.SlidingRope!.Theta));
        Assert.True(o.GateSparsityOf(9) is > 1.64f and < 1.65f);
        Assert.Null(o.GateSparsityOf(10));
        // the lone step's bits (F16 differed by up to 1e-4 while one vector summed in another order than several)
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(synth.Model, 0, DType.F32);
    }

    [Fact]
    public void TheRecalledE2bShapeIsKnown()
    {
        var shape = Models.Synthesis.SynthShape.Find("gemma-3n-e2b")!;
        Assert.Equal((2048, 30, 8192, 10, 256), (shape.Hidden, shape.Layers, shape.FeedForward, shape.Gemma3n!.SharedKvLayers, shape.Gemma3n.PerLayerInput));
    }
}
