using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Mixes;
using Moxing.Models.Conversion;
using Moxing.Models.Families;
using Moxing.Models.Tests.Decoder;
using Moxing.Tests;
using static Moxing.Models.Tests.Families.DenseFamilyTests;

namespace Moxing.Models.Tests.Families;

/// <summary>
/// Granite MoE (with and without its shared MLP) and Phi-3.5-MoE checkpoints (<see cref="TinyHfFolder"/>) give the logits of
/// <see cref="DenseReference"/>'s statement of transformers' code, their converted GGUFs those of the folder, and each switch
/// of the sparse block (routing normalisation, shared expert, sparsemixer) or the family (norms, RoPE scale) moves the logits far beyond the tolerance.
/// </summary>
public sealed class MoeFamilyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-moe-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Every mixture-of-experts model type TinyHfFolder writes.</summary>
    public static TheoryData<string> ModelTypes() => ["granitemoe", "granitemoeshared", "phimoe"];

    [Theory]
    [MemberData(nameof(ModelTypes))]
    public void TheFolderMatchesTheReference(string modelType)
    {
        using var folder = new TinyHfFolder(modelType);
        DecoderChecks.AssertClose(Flatten(new DenseReference(folder.Folder).Forward(Prompt)), Logits(folder.Folder), 1e-4, modelType);
    }

    [Theory]
    [InlineData("granitemoe", "top_k_normalisation")]
    [InlineData("granitemoe", "residual_multiplier")]
    [InlineData("granitemoe", "logits_scaling")]
    [InlineData("granitemoeshared", "shared_expert")]
    [InlineData("phimoe", "sparsemixer")]
    [InlineData("phimoe", "layer_norm")]
    [InlineData("phimoe", "mscale")]
    public void DroppingASwitchMovesTheLogitsFarBeyondTheTolerance(string modelType, string drop)
    {
        using var folder = new TinyHfFolder(modelType);
        var error = LogitErrors.RelativeMax(Flatten(new DenseReference(folder.Folder).Forward(Prompt, drop)), Logits(folder.Folder));
        Assert.True(error > 1e-3, $"{modelType} without {drop}: max|Δ|/max|ref| = {error:E2}");
    }

    [Theory]
    [MemberData(nameof(ModelTypes))]
    public void TheConvertedGgufMatchesTheFolder(string modelType)
    {
        using var folder = new TinyHfFolder(modelType);
        var path = Path.Combine(_dir, modelType + ".gguf");
        using (var input = new HfGgufInput(folder.Folder))
            GgufQuantizer.Quantize(input, path, QuantizationMix.Find("F32")!, null, WorkerPool.Shared);
        DecoderChecks.AssertClose(Logits(folder.Folder), Logits(path), 1e-5, modelType + " → F32 GGUF");
    }

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
