using Moxing.Models.Families;
using Moxing.Models.Tests.Decoder;
using Moxing.Tests;

namespace Moxing.Models.Tests.Families;

/// <summary>
/// Granite MoE (with and without its shared MLP) and Phi-3.5-MoE beyond <see cref="DenseFamilyTests"/> (reference, switches,
/// conversion): batched steps equal each sequence alone, their GGUF metadata reads as llama.cpp writes it, and variants the
/// engine cannot run are clear errors.
/// </summary>
public sealed class MoeFamilyTests
{
    /// <summary>Every mixture-of-experts model type TinyHfFolder writes.</summary>
    public static TheoryData<string> ModelTypes() => ["granitemoe", "granitemoeshared", "phimoe"];

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

    [Fact]
    public void VariantsTheEngineCannotRunAreClearErrors()
    {
        using (var nope = new TinyHfFolder("granitemoe", edit: c => c["position_embedding_type"] = "nope"))
            Assert.Contains("'position_embedding_type' is 'nope'", Assert.Throws<Core.InvalidModelFileException>(() => ModelLoader.Load(nope.Folder)).Message);
        using (var phimoe = new TinyHfFolder("phimoe", edit: c => c["num_experts_per_tok"] = 3))
            Assert.Contains("'num_experts_per_tok' is 3", Assert.Throws<Core.InvalidModelFileException>(() => ModelLoader.Load(phimoe.Folder)).Message);
        using (var phimoe = new TinyHfFolder("phimoe", edit: c => c["rope_scaling"]!["long_mscale"] = 1.5))
            Assert.Contains("'rope_scaling.long_mscale' is 1.5", Assert.Throws<Core.InvalidModelFileException>(() => ModelLoader.Load(phimoe.Folder)).Message);
        using var folder = new TinyHfFolder("granitemoe");
        folder.Config["intermediate_size"] = 64;
        File.WriteAllText(Path.Combine(folder.Folder, "config.json"), folder.Config.ToJsonString());
        Assert.Contains("'model.layers.0.block_sparse_moe.input_linear.weight' has shape [4, 192, 64], expected [4, 128, 64]",
            Assert.Throws<Core.InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
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
