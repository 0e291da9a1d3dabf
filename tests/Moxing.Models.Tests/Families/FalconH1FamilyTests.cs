using Moxing.Core;
using Moxing.Core.Tensors;
using Moxing.Models.Conversion;
using Moxing.Models.Tests.Decoder;
using Moxing.Tests;

namespace Moxing.Models.Tests.Families;

/// <summary>
/// Falcon-H1 (<see cref="TinyHfFolder"/>'s falcon_h1: a Mamba2 mixer beside attention in every layer, muP multipliers) gives
/// <see cref="DenseReference"/>'s logits; its state and keys carry across chunks and batches.
/// </summary>
public sealed class FalconH1FamilyTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheFolderMatchesTheReference(bool mambaNorm)
    {
        using var folder = new TinyHfFolder("falcon_h1", edit: c => c["mamba_rms_norm"] = mambaNorm);
        DecoderChecks.AssertClose(DenseFamilyTests.Flatten(new DenseReference(folder.Folder).Forward(DenseFamilyTests.Prompt)),
            DenseFamilyTests.Logits(folder.Folder), 1e-4, mambaNorm ? "falcon_h1, mamba_rms_norm" : "falcon_h1");
    }

    [Theory]
    [InlineData("embedding_multiplier", false)]
    [InlineData("lm_head_multiplier", false)]
    [InlineData("attention_in_multiplier", false)]
    [InlineData("attention_out_multiplier", false)]
    [InlineData("key_multiplier", false)]
    [InlineData("ssm_in_multiplier", false)]
    [InlineData("ssm_out_multiplier", false)]
    [InlineData("ssm_multipliers", false)]
    [InlineData("mlp_multipliers", false)]
    [InlineData("ssm_norm_groups", true)]
    public void DroppingASwitchMovesTheLogitsFarBeyondTheTolerance(string drop, bool mambaNorm)
    {
        using var folder = new TinyHfFolder("falcon_h1", edit: c => c["mamba_rms_norm"] = mambaNorm);
        var error = DenseFamilyTests.DroppedSwitchError(folder.Folder, drop);
        Assert.True(error > 1e-3, $"falcon_h1 without {drop}: max|Δ|/max|ref| = {error:E2}");
    }

    // llama.cpp's converter folds every multiplier into the matrices: the F32 GGUF, which has none, gives the folder's logits.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheConvertedGgufWithItsMultipliersFoldedMatchesTheFolder(bool mambaNorm)
    {
        using var folder = new TinyHfFolder("falcon_h1", edit: c => c["mamba_rms_norm"] = mambaNorm);
        using var gguf = new ConvertedGguf(folder.Folder);
        using (var file = Core.Formats.Gguf.GgufFile.Open(gguf.Path))
        {
            Assert.Equal("falcon-h1", file.Metadata.GetString("general.architecture"));
            Assert.Equal((8, 128, 2, 16, 4), (file.Metadata.GetInt32("falcon-h1.ssm.time_step_rank"), file.Metadata.GetInt32("falcon-h1.ssm.inner_size"),
                file.Metadata.GetInt32("falcon-h1.ssm.group_count"), file.Metadata.GetInt32("falcon-h1.ssm.state_size"), file.Metadata.GetInt32("falcon-h1.ssm.conv_kernel")));
            Assert.NotNull(file.Find("blk.0.ffn_norm"));
            Assert.Equal(mambaNorm, file.Find("blk.0.ssm_norm.weight") != null);
            Assert.DoesNotContain(file.Metadata.Keys, k => k.Contains("multiplier", StringComparison.Ordinal));
        }
        DecoderChecks.AssertClose(DenseFamilyTests.Logits(folder.Folder), DenseFamilyTests.Logits(gguf.Path), 1e-5, "falcon_h1 → F32 GGUF");
    }

    // llama.cpp's falcon-h1 keys and names: a mixer beside attention in every layer, no norm in the mixers, ffn_norm without .weight.
    [Theory]
    [InlineData("F16")]
    [InlineData("Q8_0")]
    public void TheSynthesizedGgufReadsItsLayersAndRunsBatchesAsAlone(string type)
    {
        using var synth = new SynthesizedModel("tiny-falcon-h1", type, 3);
        var o = synth.Model.Options;
        var m = o.Mamba!;
        Assert.Equal((8, 64, 32, 2, 4, false, true), (m.Heads, m.HeadDim, m.StateSize, m.Groups, m.ConvKernel, m.Normed, m.BesideAttention));
        Assert.Equal((4, 4, 512), (o.KvLayerCount, m.Layers.Count(l => l), o.IntermediateSize));
        Assert.Equal(Core.Ops.RopeStyle.Half, o.Rope!.Style);
        Assert.Null(synth.Model.Weights.Layers[0].Mamba!.Norm);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(synth.Model, 1e-5, DType.F32);
    }

    [Fact]
    public void PrefillInChunksEqualsOneCallAndBatchesEqualEachSequenceAlone()
    {
        using var folder = new TinyHfFolder("falcon_h1");
        using var model = ModelLoader.Load(folder.Folder);
        var decoder = model.RequireDecoder();
        DecoderChecks.ChunksEqualOneCallEqualTokenByToken(decoder, DenseFamilyTests.Prompt);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(decoder, 1e-5, DType.F32);
        // every layer attends and keeps 3 inputs of 192 channels and a 128 × 16 state
        Assert.Equal((3, 3 * (3 * 192 + 128 * 16)), (decoder.Options.KvLayerCount, decoder.Options.RecurrentStateFloats));
    }

    [Theory]
    [InlineData("mamba_norm_before_gate", "'mamba_norm_before_gate' is true")]
    [InlineData("attention_bias", "'attention_bias' is true")]
    [InlineData("mamba_n_groups", "'mamba_n_groups' is 3")]
    [InlineData("ssm_multipliers", "'ssm_multipliers' must be a list of 5 numbers")]
    public void BadConfigsAreErrorsNamingTheKey(string broken, string message)
    {
        using var folder = new TinyHfFolder("falcon_h1", edit: c =>
        {
            switch (broken)
            {
                case "mamba_norm_before_gate":
                    c["mamba_rms_norm"] = true;
                    c["mamba_norm_before_gate"] = true;
                    break;
                case "attention_bias": c["attention_bias"] = true; break;
                case "mamba_n_groups": c["mamba_n_groups"] = 3; break;
                default: c["ssm_multipliers"] = new System.Text.Json.Nodes.JsonArray(1.0, 2.0); break;
            }
        });
        Assert.Contains(message, Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
    }
}
