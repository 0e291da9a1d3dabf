using System.Text.Json.Nodes;
using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Mixes;
using Moxing.Core.Tensors;
using Moxing.Models.Conversion;
using Moxing.Models.Tests.Decoder;
using Moxing.Tests;

namespace Moxing.Models.Tests.Families;

// Gemma 4 with enable_moe_block (the 26B-A4B's kind; TinyHfFolder.Gemma4Experts) gives DenseReference's logits, its F32 GGUF
// (llama.cpp's gemma4 names: fused ffn_gate_up_exps, ffn_gate_inp.scale, ffn_down_exps.scale, the branch norms) the folder's;
// each of its switches moves the logits far beyond the tolerance; chunks and batches compute as one call.
public sealed partial class Gemma4FamilyTests
{
    // The 26B-A4B's other settings: no per-layer inputs and no sharing.
    private static void Like26B(JsonObject c)
    {
        TinyHfFolder.Gemma4Experts(c);
        c["hidden_size_per_layer_input"] = 0;
        c["num_kv_shared_layers"] = 0;
    }

    [Theory]
    [InlineData("gemma4_text")]
    [InlineData("gemma4")]
    public void WithExpertsTheFolderMatchesTheReference(string modelType)
    {
        using var folder = new TinyHfFolder(modelType, edit: TinyHfFolder.Gemma4Experts);
        DecoderChecks.AssertClose(Reference(folder.Folder), DenseFamilyTests.Logits(folder.Folder), 1e-4, modelType + " with experts");
    }

    [Fact]
    public void WithExpertsThe26BShapeMatchesTheReference()
    {
        using var folder = new TinyHfFolder("gemma4_text", edit: Like26B);
        DecoderChecks.AssertClose(Reference(folder.Folder), DenseFamilyTests.Logits(folder.Folder), 1e-4, "gemma4 like 26B-A4B");
    }

    // Renormalising the top k is no switch here: post_feedforward_layernorm_2 norms the routed sum, whatever its common scale.
    [Theory]
    [InlineData("router_norm")]
    [InlineData("expert_scale")]
    [InlineData("branch_norms")]
    public void DroppingAnExpertSwitchMovesTheLogitsFarBeyondTheTolerance(string drop)
    {
        using var folder = new TinyHfFolder("gemma4_text", edit: TinyHfFolder.Gemma4Experts);
        var error = DenseFamilyTests.DroppedSwitchError(folder.Folder, drop);
        Assert.True(error > 1e-3, $"gemma4 experts without {drop}: max|Δ|/max|ref| = {error:E2}");
    }

    [Theory]
    [InlineData("gemma4_text")]
    [InlineData("gemma4")]
    public void WithExpertsTheConvertedGgufMatchesTheFolder(string modelType)
    {
        using var folder = new TinyHfFolder(modelType, edit: Like26B);
        var path = Path.Combine(_dir, modelType + "-moe.gguf");
        using (var input = new HfGgufInput(folder.Folder))
            GgufQuantizer.Quantize(input, path, QuantizationMix.Find("F32")!, null, WorkerPool.Shared);
        using (var file = Core.Formats.Gguf.GgufFile.Open(path))
        {
            var m = file.Metadata;
            Assert.Equal((4, 2, 32, 96), (m.GetInt32("gemma4.expert_count"), m.GetInt32("gemma4.expert_used_count"),
                m.GetInt32("gemma4.expert_feed_forward_length"), m.GetInt32("gemma4.feed_forward_length")));
            Assert.False(m.ContainsKey("gemma4.expert_shared_feed_forward_length"));
            Assert.Equal([4L, 64L, 64L], file.Find("blk.0.ffn_gate_up_exps.weight")!.Shape);
            Assert.Equal([4L, 64L, 32L], file.Find("blk.0.ffn_down_exps.weight")!.Shape);
            Assert.Equal([4L, 64L], file.Find("blk.0.ffn_gate_inp.weight")!.Shape);
            Assert.Equal([64L], file.Find("blk.0.ffn_gate_inp.scale")!.Shape);
            Assert.Equal([4L], file.Find("blk.0.ffn_down_exps.scale")!.Shape);
            Assert.Equal([96L, 64L], file.Find("blk.0.ffn_gate.weight")!.Shape);
            foreach (var norm in new[] { "pre_ffw_norm_2", "post_ffw_norm_1", "post_ffw_norm_2", "ffn_norm", "post_ffw_norm" })
                Assert.Equal(DType.F32, file.Find($"blk.5.{norm}.weight")!.Type);
        }
        DecoderChecks.AssertClose(DenseFamilyTests.Logits(folder.Folder), DenseFamilyTests.Logits(path), 1e-5, modelType + " with experts → F32 GGUF");
    }

    [Fact]
    public void WithExpertsPrefillInChunksEqualsOneCallEqualsTokenByToken()
    {
        using var folder = new TinyHfFolder("gemma4_text", edit: TinyHfFolder.Gemma4Experts);
        using var model = ModelLoader.Load(folder.Folder);
        DecoderChecks.ChunksEqualOneCallEqualTokenByToken(model.RequireDecoder(), DenseFamilyTests.Prompt);
    }

    [Fact]
    public void WithExpertsBatchesEqualEachSequenceAlone()
    {
        using var folder = new TinyHfFolder("gemma4_text", edit: TinyHfFolder.Gemma4Experts);
        using var model = ModelLoader.Load(folder.Folder);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(model.RequireDecoder(), 1e-5, DType.F32);
    }

    [Fact]
    public void AMissingRouterScaleIsNamed()
    {
        using var folder = new TinyHfFolder("gemma4_text", edit: TinyHfFolder.Gemma4Experts);
        GptOssHfFolderTests.Rewrite(folder.Folder, names => names.Where(n => n != "model.layers.1.router.scale"));
        var error = Assert.Throws<Core.InvalidModelFileException>(() => ModelLoader.Load(folder.Folder));
        Assert.Contains("'model.layers.1.router.scale' is missing", error.Message);
    }

    [Fact]
    public void DoubleWideMlpsBesideExpertsAreRefusedByKey()
    {
        using var folder = new TinyHfFolder("gemma4_text", edit: c =>
        {
            TinyHfFolder.Gemma4Experts(c);
            c["use_double_wide_mlp"] = true;
        });
        Assert.Contains("'use_double_wide_mlp'", Assert.Throws<Core.InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
    }

    // llama.cpp's gemma4 keys and names with experts: every layer sparse, the MLP beside them as the shared expert. F16, as the
    // other mixtures' synth tests: with Q8_0 batches leave alone beyond 1e-4 here as tiny-qwen3moe's do (a router's near tie flips).
    [Fact]
    public void TheSynthesizedMoeGgufReadsItsShapeAndRunsBatchesAsAlone()
    {
        using var synth = new SynthesizedModel("tiny-gemma4-moe", "F16", 3);
        var moe = synth.Model.Options.Moe!;
        Assert.Equal((8, 2, 128, 256), (moe.ExpertCount, moe.ExpertsUsed, moe.ExpertFeedForward, moe.SharedFeedForward));
        Assert.True(moe.NormalizeTopK && moe.RouterScaledNorm && moe.ExpertScales && moe.BranchNorms);
        Assert.All(synth.Model.Weights.Layers, l => Assert.True(l.Moe is { Shared: not null, ExpertNorm: not null } && l.Mlp == null));
        Assert.NotNull(synth.Model.Weights.Layers[0].Moe!.Experts[0].GateUp);
        // Half-precision weights sum in an order that follows the step's row count; the F32 folder holds batches to 1e-5.
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(synth.Model, 1e-4, DType.F32);
    }
}
