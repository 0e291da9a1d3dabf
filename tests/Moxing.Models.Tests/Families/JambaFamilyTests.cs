using System.Text.Json.Nodes;
using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Tensors;
using Moxing.Models.Tests.Decoder;
using Moxing.Tests;

namespace Moxing.Models.Tests.Families;

/// <summary>
/// Jamba (<see cref="TinyHfFolder"/>'s jamba: attention without positions on one layer, Mamba 1 with its dt/B/C norms on the others,
/// experts on every other layer) gives <see cref="DenseReference"/>'s logits, its F32 GGUF (llama.cpp's jamba) the folder's; its
/// keys and state carry across chunks and batches.
/// </summary>
public sealed class JambaFamilyTests
{
    private static Action<JsonObject>? Edit(string variant) => variant switch
    {
        "dense" => c => c["num_experts"] = 1,
        "proj_bias" => c => c["mamba_proj_bias"] = true,
        "dt_rank" => c => c["mamba_dt_rank"] = 8,
        "attention_first" => c => (c["attn_layer_period"], c["attn_layer_offset"], c["expert_layer_offset"]) = (2, 0, 0),
        _ => null,
    };

    [Theory]
    [InlineData("")]
    [InlineData("dense")]
    [InlineData("proj_bias")]
    [InlineData("dt_rank")]
    [InlineData("attention_first")]
    public void TheFolderMatchesTheReference(string variant)
    {
        using var folder = new TinyHfFolder("jamba", edit: Edit(variant));
        DecoderChecks.AssertClose(DenseFamilyTests.Flatten(new DenseReference(folder.Folder).Forward(DenseFamilyTests.Prompt)),
            DenseFamilyTests.Logits(folder.Folder), 1e-4, "jamba " + variant);
    }

    [Theory]
    [InlineData("selection_norms")]
    [InlineData("renormalise")]
    [InlineData("conv_bias")]
    [InlineData("dt_bias")]
    public void DroppingASwitchMovesTheLogitsFarBeyondTheTolerance(string drop)
    {
        using var folder = new TinyHfFolder("jamba");
        var error = DenseFamilyTests.DroppedSwitchError(folder.Folder, drop);
        Assert.True(error > 1e-3, $"jamba without {drop}: max|Δ|/max|ref| = {error:E2}");
    }

    // JambaModel's keys and tensors: head_count_kv per layer, the ssm.* sizes, the expert counts; the experts stacked on the sparse
    // layers (ffn_gate_inp marks them), ffn_gate/up/down on the others; the dt/B/C norms as F32.
    [Theory]
    [InlineData("")]
    [InlineData("dense")]
    public void TheConvertedGgufMatchesTheFolder(string variant)
    {
        using var folder = new TinyHfFolder("jamba", edit: Edit(variant));
        using var gguf = new ConvertedGguf(folder.Folder);
        using (var file = GgufFile.Open(gguf.Path))
        {
            var m = file.Metadata;
            Assert.Equal("jamba", m.GetString("general.architecture"));
            Assert.Equal(new uint[] { 0, 0, 2, 0 }, m.GetArray<uint>("jamba.attention.head_count_kv"));
            Assert.Equal((128, 16, 4, 4, 96), (m.GetInt32("jamba.ssm.inner_size"), m.GetInt32("jamba.ssm.state_size"), m.GetInt32("jamba.ssm.conv_kernel"),
                m.GetInt32("jamba.ssm.time_step_rank"), m.GetInt32("jamba.feed_forward_length")));
            Assert.Equal([4L], file.Find("blk.0.ssm_dt_norm.weight")!.Shape);
            Assert.Equal([128L, 16L], file.Find("blk.0.ssm_a")!.Shape);
            Assert.Null(file.Find("blk.2.ssm_in.weight"));
            var dense = variant == "dense";
            Assert.Equal(dense ? 1 : 4, m.GetInt32("jamba.expert_count"));
            Assert.Equal(!dense, file.Find("blk.1.ffn_gate_inp.weight") != null);
            Assert.Null(file.Find("blk.0.ffn_gate_inp.weight"));
            if (!dense) Assert.Equal([4L, 96L, 64L], file.Find("blk.3.ffn_up_exps.weight")!.Shape);
            Assert.Equal([96L, 64L], file.Find("blk.2.ffn_gate.weight")!.Shape);
        }
        DecoderChecks.AssertClose(DenseFamilyTests.Logits(folder.Folder), DenseFamilyTests.Logits(gguf.Path), 1e-5, "jamba → F32 GGUF");
    }

    [Fact]
    public void PrefillInChunksEqualsOneCallAndBatchesEqualEachSequenceAlone()
    {
        using var folder = new TinyHfFolder("jamba");
        using var model = ModelLoader.Load(folder.Folder);
        var decoder = model.RequireDecoder();
        DecoderChecks.ChunksEqualOneCallEqualTokenByToken(decoder, DenseFamilyTests.Prompt);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(decoder, 1e-5, DType.F32);
        // layer 2 stores keys and values; the three Mamba layers keep 3 inputs of 128 channels and a 128 × 16 state each
        Assert.Equal((1, 3 * (3 * 128 + 128 * 16)), (decoder.Options.KvLayerCount, decoder.Options.RecurrentStateFloats));
    }

    // llama.cpp's jamba keys: attention where head_count_kv is not 0, experts where ffn_gate_inp is stored, the dt/B/C norms read.
    [Theory]
    [InlineData("F16")]
    [InlineData("Q8_0")]
    public void TheSynthesizedGgufReadsItsLayersAndRunsBatchesAsAlone(string type)
    {
        using var synth = new SynthesizedModel("tiny-jamba", type, 5);
        var o = synth.Model.Options;
        var m = o.Mamba!;
        Assert.Equal([true, true, true, true, false, true, true, true], m.Layers);
        Assert.Equal((512, 16, 32, Models.Decoder.MambaSelectionNorms.Weighted), (m.Inner, m.StateSize, m.TimeStepRank, m.SelectionNorms));
        var moe = o.Moe!;
        Assert.Equal((4, 2, false), (moe.ExpertCount, moe.ExpertsUsed, moe.NormalizeTopK));
        Assert.Equal([true, false, true, false, true, false, true, false], moe.DenseLayers);
        Assert.Null(o.Rope);
        Assert.NotNull(synth.Model.Weights.Layers[0].Mamba!.SelectionNorms);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(synth.Model, 1e-5, DType.F32);
    }

    [Theory]
    [InlineData("attn_layer_offset", "'attn_layer_offset' is 4")]
    [InlineData("expert_layer_offset", "'expert_layer_offset' is 2")]
    [InlineData("hidden_act", "'hidden_act' is 'gelu'")]
    [InlineData("mamba_dt_rank", "'mamba_dt_rank' is 'fast'")]
    public void BadConfigsAreErrorsNamingTheKey(string key, string message)
    {
        using var folder = new TinyHfFolder("jamba", edit: c => c[key] = key switch
        {
            "attn_layer_offset" => 4,
            "expert_layer_offset" => 2,
            "hidden_act" => "gelu",
            _ => "fast",
        });
        Assert.Contains(message, Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
    }

    [Fact]
    public void ExpertsWithoutAnExpertCountAreAnErrorNamingTheKey()
    {
        using var synth = new SynthesizedModel("tiny-jamba", "F16", 5);
        var path = Path.Combine(synth.Folder, "bad.gguf");
        DecoderChecks.CopyWithout(synth.Path, path, "", w => w.Set("jamba.expert_count", 0u));
        Assert.Contains("'jamba.expert_count' is missing or 0", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(path)).Message);
    }
}
