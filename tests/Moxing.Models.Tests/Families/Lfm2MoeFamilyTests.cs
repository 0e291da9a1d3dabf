using System.Text.Json.Nodes;
using Moxing.Core;
using Moxing.Core.Tensors;
using Moxing.Models.Conversion;
using Moxing.Models.Decoder;
using Moxing.Models.Tests.Decoder;
using Moxing.Tests;

namespace Moxing.Models.Tests.Families;

/// <summary>
/// LFM2-MoE (<see cref="TinyHfFolder"/>'s lfm2_moe: LFM2's convolution and attention layers, a dense first layer, then sigmoid-routed
/// experts with a selection bias on convolution and attention layers alike) gives <see cref="DenseReference"/>'s logits, its F32 GGUF
/// the folder's; the state carries across chunks and batches.
/// </summary>
public sealed class Lfm2MoeFamilyTests
{
    [Fact]
    public void TheFolderMatchesTheReference()
    {
        using var folder = new TinyHfFolder("lfm2_moe");
        DecoderChecks.AssertClose(DenseFamilyTests.Flatten(new DenseReference(folder.Folder).Forward(DenseFamilyTests.Prompt)),
            DenseFamilyTests.Logits(folder.Folder), 1e-4, "lfm2_moe");
    }

    // Without renormalisation, scaled by 2.5, without the expert bias (use_expert_bias false: no buffer).
    [Theory]
    [InlineData("norm_topk_prob")]
    [InlineData("routed_scaling_factor")]
    [InlineData("use_expert_bias")]
    public void RoutingVariantsMatchTheReference(string variant)
    {
        using var folder = new TinyHfFolder("lfm2_moe", edit: c =>
        {
            if (variant == "norm_topk_prob") c["norm_topk_prob"] = false;
            else if (variant == "routed_scaling_factor") c["routed_scaling_factor"] = 2.5;
            else c["use_expert_bias"] = false;
        });
        DecoderChecks.AssertClose(DenseFamilyTests.Flatten(new DenseReference(folder.Folder).Forward(DenseFamilyTests.Prompt)),
            DenseFamilyTests.Logits(folder.Folder), 1e-4, "lfm2_moe " + variant);
    }

    [Theory]
    [InlineData("sigmoid")]
    [InlineData("selection_bias")]
    [InlineData("top_k_normalisation")]
    [InlineData("qk_norm")]
    public void DroppingASwitchMovesTheLogitsFarBeyondTheTolerance(string drop)
    {
        using var folder = new TinyHfFolder("lfm2_moe");
        var error = DenseFamilyTests.DroppedSwitchError(folder.Folder, drop);
        Assert.True(error > 1e-3, $"lfm2_moe without {drop}: max|Δ|/max|ref| = {error:E2}");
    }

    [Fact]
    public void TheConvertedGgufMatchesTheFolder()
    {
        using var folder = new TinyHfFolder("lfm2_moe");
        using var gguf = new ConvertedGguf(folder.Folder);
        using (var file = Core.Formats.Gguf.GgufFile.Open(gguf.Path))
        {
            Assert.Equal(new uint[] { 0, 2, 0, 0, 2 }, file.Metadata.GetArray<uint>("lfm2moe.attention.head_count_kv"));
            Assert.Equal((8, 2, 32, 1, 2, 96), (file.Metadata.GetInt32("lfm2moe.expert_count"), file.Metadata.GetInt32("lfm2moe.expert_used_count"),
                file.Metadata.GetInt32("lfm2moe.expert_feed_forward_length"), file.Metadata.GetInt32("lfm2moe.leading_dense_block_count"),
                file.Metadata.GetInt32("lfm2moe.expert_gating_func"), file.Metadata.GetInt32("lfm2moe.feed_forward_length")));
            Assert.Equal([8L, 32L, 64L], file.Find("blk.1.ffn_gate_exps.weight")!.Shape);
            Assert.Equal([8L], file.Find("blk.2.exp_probs_b.bias")!.Shape);
            Assert.NotNull(file.Find("blk.0.ffn_gate.weight"));
        }
        DecoderChecks.AssertClose(DenseFamilyTests.Logits(folder.Folder), DenseFamilyTests.Logits(gguf.Path), 1e-5, "lfm2_moe → F32 GGUF");
    }

    // llama.cpp's lfm2moe renormalises, never scales and needs the expert bias: configs that differ are not converted.
    [Theory]
    [InlineData("norm_topk_prob", "'norm_topk_prob' is false")]
    [InlineData("routed_scaling_factor", "'routed_scaling_factor' is 2.5")]
    [InlineData("use_expert_bias", "'use_expert_bias' is false")]
    public void RoutingLlamaCppCannotExpressIsNotConverted(string key, string message)
    {
        using var folder = new TinyHfFolder("lfm2_moe", edit: c => c[key] = key == "routed_scaling_factor" ? JsonValue.Create(2.5) : JsonValue.Create(false));
        Assert.Contains(message, Assert.Throws<InvalidModelFileException>(() => new HfGgufInput(folder.Folder)).Message);
    }

    [Fact]
    public void PrefillInChunksEqualsOneCallAndBatchesEqualEachSequenceAlone()
    {
        using var folder = new TinyHfFolder("lfm2_moe");
        using var model = ModelLoader.Load(folder.Folder);
        DecoderChecks.ChunksEqualOneCallEqualTokenByToken(model.RequireDecoder(), DenseFamilyTests.Prompt);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(model.RequireDecoder(), 1e-5, DType.F32);
    }

    // llama.cpp's lfm2moe keys and names: the conv layers from head_count_kv's zeros, the dense lead, sigmoid gating with
    // exp_probs_b, renormalised and unscaled.
    [Theory]
    [InlineData("F16")]
    [InlineData("Q8_0")]
    public void TheSynthesizedGgufReadsItsLayersAndRunsBatchesAsAlone(string type)
    {
        using var synth = new SynthesizedModel("tiny-lfm2-moe", type, 3);
        var o = synth.Model.Options;
        Assert.Equal([true, true, false, true, true, false], o.ShortConv!.Layers);
        var moe = o.Moe!;
        Assert.Equal((8, 2, 128, true, MoeGating.Sigmoid, 1f), (moe.ExpertCount, moe.ExpertsUsed, moe.ExpertFeedForward, moe.NormalizeTopK, moe.Gating, moe.RoutedScale));
        Assert.Equal([false, true, true, true, true, true], Enumerable.Range(0, 6).Select(moe.IsSparse));
        Assert.NotNull(synth.Model.Weights.Layers[1].Moe!.SelectionBias);
        Assert.NotNull(synth.Model.Weights.Layers[0].Mlp);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(synth.Model, 1e-5, DType.F32);
    }

    // Lfm2MoeSparseMoeBlock registers expert_bias where use_expert_bias (default true): a folder that lacks it is refused, naming
    // the first sparse layer's, and so is the GGUF converted from it; where use_expert_bias is false a stored one is not read.
    [Theory]
    [InlineData(true)]
    [InlineData(null)]
    public void AMissingExpertBiasIsAnErrorNamingIt(bool? useExpertBias)
    {
        using var folder = new TinyHfFolder("lfm2_moe", edit: c => c["use_expert_bias"] = false);
        if (useExpertBias is { } use) folder.Config["use_expert_bias"] = use;
        else folder.Config.Remove("use_expert_bias");
        File.WriteAllText(Path.Combine(folder.Folder, "config.json"), folder.Config.ToJsonString());
        Assert.Contains("tensor 'model.layers.1.feed_forward.expert_bias' is missing",
            Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
        // llama.cpp's lfm2moe requires exp_probs_b whatever the GGUF's keys.
        using var gguf = new ConvertedGguf(folder.Folder);
        Assert.Contains("tensor 'blk.1.exp_probs_b.bias' is missing", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(gguf.Path)).Message);
    }

    [Fact]
    public void AStoredExpertBiasIsNotReadWhereTheConfigSaysNone()
    {
        using var folder = new TinyHfFolder("lfm2_moe");
        var withBias = DenseFamilyTests.Logits(folder.Folder);
        folder.Config["use_expert_bias"] = false;
        File.WriteAllText(Path.Combine(folder.Folder, "config.json"), folder.Config.ToJsonString());
        var withoutBias = DenseFamilyTests.Logits(folder.Folder);
        DecoderChecks.AssertClose(DenseFamilyTests.Flatten(new DenseReference(folder.Folder).Forward(DenseFamilyTests.Prompt)),
            withoutBias, 1e-4, "lfm2_moe with use_expert_bias false over a stored expert_bias");
        Assert.True(LogitErrors.RelativeMax(withoutBias, withBias) > 1e-3, "the stored expert_bias moves the routing");
    }

    [Fact]
    public void ANumDenseLayersLeavingNoSparseLayerIsAnErrorNamingIt()
    {
        using var folder = new TinyHfFolder("lfm2_moe", edit: c => c["num_dense_layers"] = 5);
        Assert.Contains("'num_dense_layers' is 5", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
    }
}
