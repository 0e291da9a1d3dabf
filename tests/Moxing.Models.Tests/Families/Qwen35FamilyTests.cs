using Moxing.Core;
using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Mixes;
using Moxing.Core.Tensors;
using Moxing.Models.Conversion;
using Moxing.Models.Tests.Decoder;
using Moxing.Tests;

namespace Moxing.Models.Tests.Families;

/// <summary>
/// Qwen3-Next, Qwen3.5 and Qwen3.5-MoE (<see cref="TinyHfFolder"/>'s qwen3_next, qwen3_5 and qwen3_5_moe: Gated DeltaNet layers around
/// a gated attention layer) give <see cref="DenseReference"/>'s logits, their F32 GGUFs the folders'; the DeltaNet's state carries
/// across chunks, steps and batches.
/// </summary>
public sealed class Qwen35FamilyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-qwen35-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("qwen3_next")]
    [InlineData("qwen3_5")]
    [InlineData("qwen3_5_moe")]
    public void TheFolderMatchesTheReference(string type)
    {
        using var folder = new TinyHfFolder(type);
        DecoderChecks.AssertClose(DenseFamilyTests.Flatten(new DenseReference(folder.Folder).Forward(DenseFamilyTests.Prompt)),
            DenseFamilyTests.Logits(folder.Folder), 1e-4, type);
    }

    [Theory]
    [InlineData("qwen3_next", "norm_offset")]
    [InlineData("qwen3_next", "output_gate")]
    [InlineData("qwen3_next", "conv")]
    [InlineData("qwen3_next", "l2_norm")]
    [InlineData("qwen3_next", "decay")]
    [InlineData("qwen3_next", "beta")]
    [InlineData("qwen3_next", "z_gate")]
    [InlineData("qwen3_next", "shared_expert_gate")]
    [InlineData("qwen3_5", "decay")]
    [InlineData("qwen3_5_moe", "top_k_normalisation")]
    public void DroppingASwitchMovesTheLogitsFarBeyondTheTolerance(string type, string drop)
    {
        using var folder = new TinyHfFolder(type);
        var error = DenseFamilyTests.DroppedSwitchError(folder.Folder, drop);
        Assert.True(error > 1e-3, $"{type} without {drop}: max|Δ|/max|ref| = {error:E2}");
    }

    // llama.cpp's keys and names; Qwen3.5's value heads reordered for its tiled key heads (the engine reads them so); norms as 1 + w.
    [Theory]
    [InlineData("qwen3_next", "qwen3next")]
    [InlineData("qwen3_5", "qwen35")]
    [InlineData("qwen3_5_moe", "qwen35moe")]
    public void TheConvertedGgufMatchesTheFolder(string type, string architecture)
    {
        using var folder = new TinyHfFolder(type);
        var path = Path.Combine(_dir, type + ".gguf");
        using (var input = new HfGgufInput(folder.Folder))
            GgufQuantizer.Quantize(input, path, QuantizationMix.Find("F32")!, null, WorkerPool.Shared);
        using (var file = Core.Formats.Gguf.GgufFile.Open(path))
        {
            Assert.Equal(architecture, file.Metadata.GetString("general.architecture"));
            Assert.Equal((2, 4, 16, 32, 4), (file.Metadata.GetInt32(architecture + ".ssm.group_count"), file.Metadata.GetInt32(architecture + ".ssm.time_step_rank"),
                file.Metadata.GetInt32(architecture + ".ssm.state_size"), file.Metadata.GetInt32(architecture + ".ssm.inner_size"), file.Metadata.GetInt32(architecture + ".ssm.conv_kernel")));
            Assert.Equal(2, file.Metadata.GetInt32(architecture + ".full_attention_interval"));
            Assert.Equal(8, file.Metadata.GetInt32(architecture + ".rope.dimension_count"));
            Assert.Equal([96L, 4L], file.Find("blk.0.ssm_conv1d.weight")!.Shape);
            Assert.Equal([4L], file.Find("blk.0.ssm_a")!.Shape);
            Assert.NotNull(file.Find(type == "qwen3_next" ? "blk.0.ssm_ba.weight" : "blk.0.ssm_beta.weight"));
            Assert.NotNull(file.Find("blk.0.attn_gate.weight"));
            Assert.NotNull(file.Find("blk.1.post_attention_norm.weight"));
            Assert.Null(file.Find("blk.3.attn_norm.weight"));
            if (architecture == "qwen35") Assert.Equal([11, 11, 10, 0], file.Metadata.GetArray<int>("qwen35.rope.dimension_sections"));
            if (architecture == "qwen35moe") Assert.Equal([4L, 32L, 64L], file.Find("blk.0.ffn_gate_exps.weight")!.Shape);
        }
        using (var model = ModelLoader.Load(path))
            Assert.Equal(architecture != "qwen3next", model.RequireDecoder().Options.DeltaNet!.TiledKeyHeads);
        DecoderChecks.AssertClose(DenseFamilyTests.Logits(folder.Folder), DenseFamilyTests.Logits(path), 1e-5, type + " → F32 GGUF");
    }

    // The DeltaNet's convolution and state carry across calls: chunks of 5, 1 and 7 tokens and 13 single tokens give one call's logits.
    [Theory]
    [InlineData("qwen3_next")]
    [InlineData("qwen3_5")]
    public void PrefillInChunksEqualsOneCallEqualsTokenByToken(string type)
    {
        using var folder = new TinyHfFolder(type);
        using var model = ModelLoader.Load(folder.Folder);
        DecoderChecks.ChunksEqualOneCallEqualTokenByToken(model.RequireDecoder(), DenseFamilyTests.Prompt);
    }

    [Theory]
    [InlineData("qwen3_next")]
    [InlineData("qwen3_5_moe")]
    public void BatchesEqualEachSequenceAlone(string type)
    {
        using var folder = new TinyHfFolder(type);
        using var model = ModelLoader.Load(folder.Folder);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(model.RequireDecoder(), 1e-5, DType.F32);
    }

    // llama.cpp's keys and names as synth writes them: the DeltaNet layers from full_attention_interval, the sizes, tiled value heads
    // for qwen35*, grouped for qwen3next; batches of the F16 and Q8_0 files equal each sequence alone.
    [Theory]
    [InlineData("tiny-qwen3next", "F16")]
    [InlineData("tiny-qwen35", "Q8_0")]
    [InlineData("tiny-qwen35moe", "Q8_0")]
    public void TheSynthesizedGgufReadsItsLayersAndRunsBatchesAsAlone(string shape, string type)
    {
        using var synth = new SynthesizedModel(shape, type, 3);
        var o = synth.Model.Options;
        var d = o.DeltaNet!;
        Assert.Equal([true, true, true, false, true, true, true, false], d.Layers);
        Assert.Equal((2, 4, 32, 32, 4, 16), (d.KeyHeads, d.ValueHeads, d.KeyHeadDim, d.ValueHeadDim, d.ConvKernel, o.Rope!.RotaryDim));
        Assert.Equal((shape != "tiny-qwen3next", 2, true, true), (d.TiledKeyHeads, o.KvLayerCount, o.QkNorm, o.AttentionOutputGate));
        Assert.Equal(shape != "tiny-qwen35", o.Moe?.SharedFeedForward == 192);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(synth.Model, 1e-5, DType.F32);
    }

    // Value heads reading their key heads tiled rather than grouped (the switch the qwen35 GGUF's reordered heads need) moves the logits.
    [Fact]
    public void ReadingTheKeyHeadsInTheOtherOrderMovesTheLogits()
    {
        using var synth = new SynthesizedModel("tiny-qwen35", "F16", 3);
        var decoder = synth.Model;
        var tiled = DenseFamilyTests.Logits(synth.Path);
        var grouped = decoder.Options with { DeltaNet = decoder.Options.DeltaNet! with { TiledKeyHeads = false } };
        using var other = new Models.Decoder.DecoderModel(grouped, decoder.Weights, null);
        var logits = new float[DenseFamilyTests.Prompt.Length * grouped.VocabSize];
        using (var sequence = new Models.Decoder.SequenceKv(other.CreateBlockPool(1L << 22, DType.F32, sequences: 1), 64))
            other.Forward(DenseFamilyTests.Prompt, sequence, other.CreateScratch(32), logits, allLogits: true);
        Assert.True(LogitErrors.RelativeMax(tiled, logits) > 1e-3);
    }

    [Theory]
    [InlineData("layer_types", "'layer_types' has 'mamba'")]
    [InlineData("linear_num_value_heads", "'linear_num_value_heads' is 3; it must be a multiple of linear_num_key_heads (2)")]
    [InlineData("linear_conv_kernel_dim", "'linear_conv_kernel_dim' must be at least 2")]
    [InlineData("in_proj_qkvz", "tensor 'model.layers.0.linear_attn.in_proj_qkvz.weight' has shape [128, 64], expected [144, 64]")]
    public void BadConfigsAndTensorsAreErrorsNamingThem(string broken, string message)
    {
        using var folder = new TinyHfFolder("qwen3_next", edit: c =>
        {
            if (broken == "layer_types") c["layer_types"]![0] = "mamba";
            if (broken == "linear_num_value_heads") c["linear_num_value_heads"] = 3;
            if (broken == "linear_conv_kernel_dim") c["linear_conv_kernel_dim"] = 1;
        });
        if (broken == "in_proj_qkvz")
        {
            var path = Path.Combine(folder.Folder, "config.json");
            File.WriteAllText(path, File.ReadAllText(path).Replace("\"linear_value_head_dim\":8", "\"linear_value_head_dim\":10", StringComparison.Ordinal));
        }
        Assert.Contains(message, Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
    }
}
