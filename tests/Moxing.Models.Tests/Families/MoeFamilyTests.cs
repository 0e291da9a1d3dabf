using Moxing.Models.Families;
using Moxing.Models.Tests.Decoder;
using Moxing.Tests;

namespace Moxing.Models.Tests.Families;

/// <summary>
/// Granite MoE (with and without its shared MLP), Phi-3.5-MoE, ERNIE 4.5 MoE, Llama 4 and Hunyuan MoE beyond <see cref="DenseFamilyTests"/> (reference, switches,
/// conversion): batched steps equal each sequence alone, their GGUF metadata reads as llama.cpp writes it, and variants the
/// engine cannot run are clear errors.
/// </summary>
public sealed class MoeFamilyTests
{
    /// <summary>Every mixture-of-experts model type TinyHfFolder writes.</summary>
    public static TheoryData<string> ModelTypes() => ["granitemoe", "granitemoeshared", "phimoe", "ernie4_5_moe", "llama4_text", "hunyuan_v1_moe"];

    [Theory]
    [MemberData(nameof(ModelTypes))]
    public void TheFolderRunsBatchesAsEachSequenceAlone(string modelType)
    {
        using var folder = new TinyHfFolder(modelType);
        using var model = ModelLoader.Load(folder.Folder);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(model.RequireDecoder(), 1e-5, Core.Tensors.DType.F32);
    }

    [Theory]
    [InlineData("tiny-granitemoe")]
    [InlineData("tiny-phimoe")]
    [InlineData("tiny-ernie4_5-moe")]
    [InlineData("tiny-hunyuan-moe")]
    [InlineData("tiny-llama4")]
    [InlineData("tiny-llama4-interleaved")]
    [InlineData("tiny-deepseek-v2")]
    [InlineData("tiny-deepseek-v3")]
    public void TheSynthesizedModelRunsBatchesAsEachSequenceAlone(string shape)
    {
        using var synth = new SynthesizedModel(shape, "F16", 4);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(synth.Model, 1e-5, Core.Tensors.DType.F32);
    }

    // llama.cpp's granitemoe: the multipliers, renormalised top-k, and the shared expert of expert_shared_feed_forward_length, ungated.
    [Fact]
    public void GraniteMoeReadsItsMultipliersAndAnUngatedSharedExpert()
    {
        using var synth = new SynthesizedModel("tiny-granitemoe", "F16", 1);
        var o = synth.Model.Options;
        Assert.Equal((12f, 0.22f, 0.015625f, 6f), (o.EmbeddingScale, o.ResidualScale, o.EffectiveAttentionScale, o.LogitDivisor));
        Assert.Equal((8, 3, 128, 192, true), (o.Moe!.ExpertCount, o.Moe.ExpertsUsed, o.Moe.ExpertFeedForward, o.Moe.SharedFeedForward, o.Moe.NormalizeTopK));
        var moe = synth.Model.Weights.Layers[0].Moe!;
        Assert.NotNull(moe.Shared);
        Assert.Null(moe.SharedGate);
    }

    // llama.cpp's ernie4_5-moe: the leading dense layer, experts with the selection bias (exp_probs_b) and an ungated shared
    // expert after it, renormalised top-k; the converter's keys for the same layout from a folder.
    [Fact]
    public void ErnieMoeReadsItsDenseLayerSelectionBiasAndSharedExperts()
    {
        using var synth = new SynthesizedModel("tiny-ernie4_5-moe", "F16", 1);
        var o = synth.Model.Options;
        Assert.Equal((8, 2, 128, 256, true), (o.Moe!.ExpertCount, o.Moe.ExpertsUsed, o.Moe.ExpertFeedForward, o.Moe.SharedFeedForward, o.Moe.NormalizeTopK));
        Assert.Equal(Core.Ops.RopeStyle.Interleaved, o.Rope!.Style);
        var layers = synth.Model.Weights.Layers;
        Assert.Null(layers[0].Moe);
        Assert.All(layers.Skip(1), l => Assert.Equal(8, l.Moe!.SelectionBias!.Length));
        Assert.Null(layers[1].Moe!.SharedGate);
        Assert.NotNull(layers[1].Moe!.Shared);
        using var folder = new TinyHfFolder("ernie4_5_moe");
        using var input = new Moxing.Models.Conversion.HfGgufInput(folder.Folder);
        Assert.Equal((1, 1, 64), (input.Metadata.GetInt32("ernie4_5-moe.interleave_moe_layer_step"), input.Metadata.GetInt32("ernie4_5-moe.leading_dense_block_count"),
            input.Metadata.GetInt32("ernie4_5-moe.expert_shared_feed_forward_length")));
        Assert.Contains(input.Tensors, t => t.Name == "blk.1.exp_probs_b.bias");
    }

    [Fact]
    public void VariantsTheEngineCannotRunAreClearErrors()
    {
        using (var nope = new TinyHfFolder("granitemoe", edit: c => c["position_embedding_type"] = "nope"))
            Assert.Contains("'position_embedding_type' is 'nope'", Assert.Throws<Core.InvalidModelFileException>(() => ModelLoader.Load(nope.Folder)).Message);
        using (var phimoe = new TinyHfFolder("phimoe", edit: c => c["num_experts_per_tok"] = 3))
            Assert.Contains("'num_experts_per_tok' is 3", Assert.Throws<Core.InvalidModelFileException>(() => ModelLoader.Load(phimoe.Folder)).Message);
        using (var phimoe = new TinyHfFolder("phimoe", edit: c => c["rope_scaling"]!["long_mscale"] = 1.5))
            Assert.Contains("'rope_scaling.long_mscale' is 1.5", Assert.Throws<Core.InvalidModelFileException>(() => ModelLoader.Load(phimoe.Folder)).Message);
        // llama.cpp's ernie4_5-moe has no end index: a layer made dense by it cannot be converted (the folder itself runs).
        using (var ernie = new TinyHfFolder("ernie4_5_moe", edit: c => (c["moe_layer_start_index"], c["moe_layer_end_index"]) = (0, 0)))
        {
            using (var model = ModelLoader.Load(ernie.Folder))
                Assert.Equal((false, true), (model.RequireDecoder().Weights.Layers[0].Moe == null, model.RequireDecoder().Weights.Layers[1].Moe == null));
            Assert.Contains("'moe_layer_end_index' makes layer 1 dense", Assert.Throws<Core.InvalidModelFileException>(() => new Moxing.Models.Conversion.HfGgufInput(ernie.Folder)).Message);
        }
        // HunYuanMoEV1Moe takes each layer's count from a list; the engine runs one in every layer.
        using (var hunyuan = new TinyHfFolder("hunyuan_v1_moe", edit: c => c["moe_topk"] = new System.Text.Json.Nodes.JsonArray(2, 1)))
            Assert.Contains("'moe_topk' differs by layer (2, 1)", Assert.Throws<Core.InvalidModelFileException>(() => ModelLoader.Load(hunyuan.Folder)).Message);
        using (var hunyuan = new TinyHfFolder("hunyuan_v1_moe", edit: c => c["use_mixed_mlp_moe"] = false))
            Assert.Contains("'use_mixed_mlp_moe' is false", Assert.Throws<Core.InvalidModelFileException>(() => ModelLoader.Load(hunyuan.Folder)).Message);
        using (var hunyuan = new TinyHfFolder("hunyuan_v1_moe", edit: c => c["num_experts"] = 0))
            Assert.Contains("'num_experts' is 0", Assert.Throws<Core.InvalidModelFileException>(() => ModelLoader.Load(hunyuan.Folder)).Message);
        using var folder = new TinyHfFolder("granitemoe");
        folder.Config["intermediate_size"] = 64;
        File.WriteAllText(Path.Combine(folder.Folder, "config.json"), folder.Config.ToJsonString());
        Assert.Contains("'model.layers.0.block_sparse_moe.input_linear.weight' has shape [4, 192, 64], expected [4, 128, 64]",
            Assert.Throws<Core.InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
    }

    // llama.cpp's hunyuan-moe: q/k norms after RoPE, renormalised softmax top-k, an ungated shared MLP of
    // expert_shared_feed_forward_length; HunYuanMoEModel's keys for a folder (the per-layer lists' one value, the alpha base).
    [Fact]
    public void HunyuanMoeReadsItsSharedMlpAndNormsAfterRope()
    {
        using var synth = new SynthesizedModel("tiny-hunyuan-moe", "F16", 1);
        var o = synth.Model.Options;
        Assert.Equal((8, 2, 128, 128, true, true, true), (o.Moe!.ExpertCount, o.Moe.ExpertsUsed, o.Moe.ExpertFeedForward, o.Moe.SharedFeedForward,
            o.Moe.NormalizeTopK, o.QkNorm, o.QkNormAfterRope));
        Assert.All(synth.Model.Weights.Layers, l => Assert.Null(l.Moe!.SharedGate));
        using var folder = new TinyHfFolder("hunyuan_v1_moe");
        using var input = new Moxing.Models.Conversion.HfGgufInput(folder.Folder);
        var m = input.Metadata;
        Assert.Equal((4, 2, 96, 96, 1, 262144), (m.GetInt32("hunyuan-moe.expert_count"), m.GetInt32("hunyuan-moe.expert_used_count"),
            m.GetInt32("hunyuan-moe.expert_feed_forward_length"), m.GetInt32("hunyuan-moe.expert_shared_feed_forward_length"),
            m.GetInt32("hunyuan-moe.expert_shared_count"), m.GetInt32("hunyuan-moe.context_length")));
        Assert.True(m.TryGetSingle("hunyuan-moe.rope.freq_base", out var theta) && Math.Abs(theta - HunyuanDenseFamily.AlphaBase(10000, 1000, 16)) < 1);
        Assert.Contains(input.Tensors, t => t.Name == "blk.0.ffn_gate_inp.weight" && t.Type == Core.Tensors.DType.F32);
        Assert.Contains(input.Tensors, t => t.Name == "blk.1.ffn_down_shexp.weight");
    }

    // A Phi-3.5-MoE GGUF as llama.cpp's converter writes it, read with transformers' math: LayerNorms, sparsemixer routing with
    // PhimoeConfig's jitter (GGUFs do not store it), LongRoPE factors and the converter's cos/sin scale.
    [Fact]
    public void PhiMoeGgufReadsLayerNormsSparseMixerAndLongRope()
    {
        using var synth = new SynthesizedModel("tiny-phimoe", "F16", 1);
        var o = synth.Model.Options;
        Assert.Equal((Moxing.Models.Decoder.NormKind.Layer, PhiMoeFamily.DefaultJitter, false), (o.Norm, o.Moe!.SparseMixerJitter, o.Moe.NormalizeTopK));
        Assert.Equal(Core.Ops.RopeScaling.LongRope, o.Rope!.Scaling);
        Assert.Equal(Math.Sqrt(1 + Math.Log(2) / Math.Log(4096)), o.Rope.AttentionFactor!.Value, 1e-6);
        Assert.NotNull(synth.Model.Weights.Layers[0].AttentionNorm!.Bias);
        Assert.NotNull(synth.Model.Weights.Output.Bias);
    }
}
