using System.Text.Json.Nodes;
using Moxing.Core;
using Moxing.Core.Tensors;
using Moxing.Models.Conversion;
using Moxing.Models.Decoder;
using Moxing.Models.Tests.Decoder;
using Moxing.Tests;

namespace Moxing.Models.Tests.Families;

/// <summary>
/// Nemotron-H (<see cref="TinyHfFolder"/>'s nemotron_h: blocks of one Mamba2 mixer, attention, relu² MLP or experts each) gives
/// <see cref="DenseReference"/>'s logits, its F32 GGUF (nemotron_h, or nemotron_h_moe with experts) the folder's; the Mamba2 state
/// carries across chunks and batches.
/// </summary>
public sealed class NemotronHFamilyTests
{
    private static void Moe(JsonObject c) => c["hybrid_override_pattern"] = TinyHfFolder.NemotronHMoePattern;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheFolderMatchesTheReference(bool moe)
    {
        using var folder = new TinyHfFolder("nemotron_h", edit: moe ? Moe : null);
        DecoderChecks.AssertClose(DenseFamilyTests.Flatten(new DenseReference(folder.Folder).Forward(DenseFamilyTests.Prompt)),
            DenseFamilyTests.Logits(folder.Folder), 1e-4, moe ? "nemotron_h, experts" : "nemotron_h");
    }

    // layers_block_type (the newer configs' list) in place of the pattern; an MLP block beside the experts.
    [Theory]
    [InlineData("layers_block_type")]
    [InlineData("mlp_beside_experts")]
    public void ConfigVariantsMatchTheReference(string variant)
    {
        using var folder = new TinyHfFolder("nemotron_h", edit: c =>
        {
            if (variant == "mlp_beside_experts") c["hybrid_override_pattern"] = "ME*-ME";
        });
        if (variant == "layers_block_type")
        {
            var path = Path.Combine(folder.Folder, "config.json");
            var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            config.Remove("hybrid_override_pattern");
            config["layers_block_type"] = new JsonArray("mamba", "mlp", "attention", "mlp", "mamba", "mlp");
            File.WriteAllText(path, config.ToJsonString());
            var logits = DenseFamilyTests.Logits(folder.Folder);
            config["hybrid_override_pattern"] = TinyHfFolder.NemotronHPattern;
            File.WriteAllText(path, config.ToJsonString());
            DecoderChecks.AssertClose(DenseFamilyTests.Flatten(new DenseReference(folder.Folder).Forward(DenseFamilyTests.Prompt)), logits, 1e-4, "nemotron_h " + variant);
            return;
        }
        DecoderChecks.AssertClose(DenseFamilyTests.Flatten(new DenseReference(folder.Folder).Forward(DenseFamilyTests.Prompt)),
            DenseFamilyTests.Logits(folder.Folder), 1e-4, "nemotron_h " + variant);
    }

    [Theory]
    [InlineData("ssm_norm_groups", false)]
    [InlineData("relu2", false)]
    [InlineData("selection_bias", true)]
    [InlineData("shared_expert", true)]
    [InlineData("relu2", true)]
    public void DroppingASwitchMovesTheLogitsFarBeyondTheTolerance(string drop, bool moe)
    {
        using var folder = new TinyHfFolder("nemotron_h", edit: moe ? Moe : null);
        var error = DenseFamilyTests.DroppedSwitchError(folder.Folder, drop);
        Assert.True(error > 1e-3, $"nemotron_h without {drop}: max|Δ|/max|ref| = {error:E2}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheConvertedGgufMatchesTheFolder(bool moe)
    {
        using var folder = new TinyHfFolder("nemotron_h", edit: moe ? Moe : null);
        using var gguf = new ConvertedGguf(folder.Folder);
        var arch = moe ? "nemotron_h_moe" : "nemotron_h";
        using (var file = Core.Formats.Gguf.GgufFile.Open(gguf.Path))
        {
            Assert.Equal(arch, file.Metadata.GetString("general.architecture"));
            Assert.Equal(new uint[] { 0, 0, 2, 0, 0, 0 }, file.Metadata.GetArray<uint>(arch + ".attention.head_count_kv"));
            var ff = moe ? 32u : 96u;
            Assert.Equal(new[] { 0u, ff, 0u, ff, 0u, ff }, file.Metadata.GetArray<uint>(arch + ".feed_forward_length"));
            Assert.Equal((8, 128, 2, 16, 4), (file.Metadata.GetInt32(arch + ".ssm.time_step_rank"), file.Metadata.GetInt32(arch + ".ssm.inner_size"),
                file.Metadata.GetInt32(arch + ".ssm.group_count"), file.Metadata.GetInt32(arch + ".ssm.state_size"), file.Metadata.GetInt32(arch + ".ssm.conv_kernel")));
            Assert.Equal([2L, 64L], file.Find("blk.0.ssm_norm.weight")!.Shape);
            Assert.Equal([8L, 1L], file.Find("blk.0.ssm_a")!.Shape);
            Assert.NotNull(file.Find("blk.1.attn_norm.weight"));
            if (moe)
            {
                Assert.Equal([8L, 32L, 64L], file.Find("blk.1.ffn_up_exps.weight")!.Shape);
                Assert.Null(file.Find("blk.1.ffn_gate_exps.weight"));
                Assert.Equal([8L], file.Find("blk.1.exp_probs_b.bias")!.Shape);
                Assert.Equal(48, file.Metadata.GetInt32(arch + ".expert_shared_feed_forward_length"));
            }
            else Assert.Equal([96L, 64L], file.Find("blk.1.ffn_up.weight")!.Shape);
        }
        DecoderChecks.AssertClose(DenseFamilyTests.Logits(folder.Folder), DenseFamilyTests.Logits(gguf.Path), 1e-5, "nemotron_h → F32 GGUF");
    }

    [Fact]
    public void ExpertsBesideMlpBlocksAreNotConverted()
    {
        using var folder = new TinyHfFolder("nemotron_h", edit: c => c["hybrid_override_pattern"] = "ME*-ME");
        Assert.Contains("'hybrid_override_pattern' has MLP blocks", Assert.Throws<InvalidModelFileException>(() => new HfGgufInput(folder.Folder)).Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PrefillInChunksEqualsOneCallAndBatchesEqualEachSequenceAlone(bool moe)
    {
        using var folder = new TinyHfFolder("nemotron_h", edit: moe ? Moe : null);
        using var model = ModelLoader.Load(folder.Folder);
        var decoder = model.RequireDecoder();
        DecoderChecks.ChunksEqualOneCallEqualTokenByToken(decoder, DenseFamilyTests.Prompt);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(decoder, 1e-5, DType.F32);
        // one attention block stores keys and values; two Mamba2 blocks keep 3 inputs of 192 channels and a 128 × 16 state each
        Assert.Equal((1, 2 * (3 * 192 + 128 * 16)), (decoder.Options.KvLayerCount, decoder.Options.RecurrentStateFloats));
    }

    // llama.cpp's nemotron_h / nemotron_h_moe keys: the block kinds from head_count_kv and feed_forward_length per layer, the ssm.*
    // sizes with the norm per group, no positions, ungated relu² MLPs or experts with their shared expert.
    [Theory]
    [InlineData("tiny-nemotron-h", "F16")]
    [InlineData("tiny-nemotron-h", "Q8_0")]
    [InlineData("tiny-nemotron-h-moe", "F16")]
    [InlineData("tiny-nemotron-h-moe", "Q8_0")]
    public void TheSynthesizedGgufReadsItsBlocksAndRunsBatchesAsAlone(string shape, string type)
    {
        using var synth = new SynthesizedModel(shape, type, 3);
        var o = synth.Model.Options;
        var m = o.Mamba!;
        Assert.Equal([true, false, false, false, true, false], m.Layers);
        Assert.Equal([false, true, false, true, false, true], o.FeedForwardBlocks);
        Assert.Equal((8, 64, 32, 2, 4, 2), (m.Heads, m.HeadDim, m.StateSize, m.Groups, m.ConvKernel, m.NormGroups));
        Assert.Equal((1, false, Core.Ops.Activation.ReluSquared), (o.KvLayerCount, o.GatedMlp, o.Activation));
        Assert.Null(o.Rope);
        if (o.Moe is { } moe)
        {
            Assert.Equal((8, 2, 128, 192, true, 2.5f, MoeGating.Sigmoid), (moe.ExpertCount, moe.ExpertsUsed, moe.ExpertFeedForward, moe.SharedFeedForward,
                moe.NormalizeTopK, moe.RoutedScale, moe.Gating));
            Assert.Null(synth.Model.Weights.Layers[1].Moe!.Experts[0].Gate);
        }
        else Assert.Equal(512, o.IntermediateSize);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(synth.Model, 1e-5, DType.F32);
    }

    [Theory]
    [InlineData("pattern", "'hybrid_override_pattern' has 'X'")]
    [InlineData("no_attention", "'hybrid_override_pattern' has no attention block")]
    [InlineData("n_groups", "'n_groups' is 3")]
    [InlineData("mlp_hidden_act", "'mlp_hidden_act' is 'silu'")]
    [InlineData("moe_latent_size", "'moe_latent_size' is set")]
    public void BadConfigsAreErrorsNamingTheKey(string broken, string message)
    {
        using var folder = new TinyHfFolder("nemotron_h", edit: c =>
        {
            switch (broken)
            {
                case "pattern": c["hybrid_override_pattern"] = "M-X-M-"; break;
                case "no_attention": c["hybrid_override_pattern"] = "M-M-M-"; break;
                case "n_groups": c["n_groups"] = 3; break;
                case "mlp_hidden_act": c["mlp_hidden_act"] = "silu"; break;
                default: c["moe_latent_size"] = 16; break;
            }
        });
        Assert.Contains(message, Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
    }
}
