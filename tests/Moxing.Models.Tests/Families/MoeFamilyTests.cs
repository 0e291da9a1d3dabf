using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Mixes;
using Moxing.Models.Conversion;
using Moxing.Models.Tests.Decoder;
using Moxing.Tests;
using static Moxing.Models.Tests.Families.DenseFamilyTests;

namespace Moxing.Models.Tests.Families;

/// <summary>
/// Granite MoE (with and without its shared MLP) checkpoints (<see cref="TinyHfFolder"/>) give the logits of
/// <see cref="DenseReference"/>'s statement of transformers' code, their converted GGUFs those of the folder, and each switch
/// of the sparse block (routing normalisation, shared expert) moves the logits far beyond the tolerance.
/// </summary>
public sealed class MoeFamilyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-moe-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Every mixture-of-experts model type TinyHfFolder writes.</summary>
    public static TheoryData<string> ModelTypes() => ["granitemoe", "granitemoeshared"];

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
        using var folder = new TinyHfFolder("granitemoe");
        folder.Config["intermediate_size"] = 64;
        File.WriteAllText(Path.Combine(folder.Folder, "config.json"), folder.Config.ToJsonString());
        Assert.Contains("'model.layers.0.block_sparse_moe.input_linear.weight' has shape [4, 192, 64], expected [4, 128, 64]",
            Assert.Throws<Core.InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
    }
}
