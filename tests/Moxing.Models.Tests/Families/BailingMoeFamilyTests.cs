using System.Text.Json.Nodes;
using Moxing.Core;
using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Mixes;
using Moxing.Models.Conversion;
using Moxing.Models.Tests.Decoder;
using Moxing.Tests;

namespace Moxing.Models.Tests.Families;

/// <summary>
/// Ling / Bailing MoE checkpoints (<see cref="TinyHfFolder"/>: fused query_key_value, a normalised head) and Ling 2.0's (q/k norms,
/// partial rotation, DeepSeek-style routing, a nextn layer) give the logits of <see cref="DenseReference"/>'s statement of the remote
/// modeling code, their F32 GGUFs (v1: q/k/v split and permuted; v2: attn_qkv kept) those of the folder; each switch moves the
/// logits far beyond the tolerance; batched steps equal each sequence alone; the GGUFs read as llama.cpp writes them; what
/// llama.cpp's bailingmoe/bailingmoe2 cannot express is refused naming the key.
/// </summary>
public sealed class BailingMoeFamilyTests
{
    private static float[] Reference(TinyHfFolder folder) =>
        DenseFamilyTests.Flatten(new DenseReference(folder.Folder).Forward(DenseFamilyTests.Prompt));

    public static TheoryData<string> Variants() => ["ling-lite", "dense-lead", "one-expert"];

    // Ling-lite's layout; one with a dense first layer (first_k_dense_replace 1); one choosing a lone expert, whose weight
    // BailingMoeGate leaves unnormalised.
    private static Action<JsonObject>? Edit(string variant) => variant switch
    {
        "dense-lead" => c => c["first_k_dense_replace"] = 1,
        "one-expert" => c => c["num_experts_per_tok"] = 1,
        _ => null,
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void TheFolderMatchesTheReference(string variant)
    {
        using var folder = new TinyHfFolder("bailing_moe", edit: Edit(variant));
        DecoderChecks.AssertClose(Reference(folder), DenseFamilyTests.Logits(folder.Folder), 1e-4, "bailing_moe " + variant);
    }

    [Theory]
    [InlineData("norm_head")]
    [InlineData("top_k_normalisation")]
    [InlineData("shared_expert")]
    public void DroppingASwitchMovesTheLogitsFarBeyondTheTolerance(string drop)
    {
        using var folder = new TinyHfFolder("bailing_moe");
        var error = DenseFamilyTests.DroppedSwitchError(folder.Folder, drop);
        Assert.True(error > 1e-3, $"bailing_moe without {drop}: max|Δ|/max|ref| = {error:E2}");
    }

    [Fact]
    public void TheFolderAndTheSynthesizedModelRunBatchesAsEachSequenceAlone()
    {
        using (var folder = new TinyHfFolder("bailing_moe"))
        using (var model = ModelLoader.Load(folder.Folder))
            DecoderChecks.MixedBatchMatchesEachSequenceAlone(model.RequireDecoder(), 1e-5, Core.Tensors.DType.F32);
        using var synth = new SynthesizedModel("tiny-bailingmoe", "F16", 4);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(synth.Model, 1e-4);
    }

    // BailingMoeModel's file: q, k and v split from query_key_value (q and k permuted for the interleaved rotation), the head
    // normalised, the routing keys; it gives the folder's logits.
    [Fact]
    public void TheConvertedGgufMatchesTheFolderAndHasLlamaCppsKeys()
    {
        using var folder = new TinyHfFolder("bailing_moe");
        var path = Path.Combine(folder.Folder, "bailing.gguf");
        using (var input = new HfGgufInput(folder.Folder))
        {
            var m = input.Metadata;
            Assert.Equal((16, 0, 32, 2, 8, 2, 96), (m.GetInt32("bailingmoe.rope.dimension_count"), m.GetInt32("bailingmoe.leading_dense_block_count"),
                m.GetInt32("bailingmoe.expert_feed_forward_length"), m.GetInt32("bailingmoe.expert_shared_count"), m.GetInt32("bailingmoe.expert_count"),
                m.GetInt32("bailingmoe.expert_used_count"), m.GetInt32("bailingmoe.vocab_size")));
            Assert.True(m.GetBool("bailingmoe.expert_weights_norm"));
            Assert.Contains(input.Tensors, t => t.Name == "blk.0.attn_k.weight" && t.Shape.SequenceEqual(new long[] { 32, 64 }));
            Assert.Contains(input.Tensors, t => t.Name == "output.weight" && t.Type == Core.Tensors.DType.F32);
            Assert.DoesNotContain(input.Tensors, t => t.Name.Contains("attn_qkv", StringComparison.Ordinal));
            GgufQuantizer.Quantize(input, path, QuantizationMix.Find("F32")!, null, WorkerPool.Shared);
        }
        DecoderChecks.AssertClose(DenseFamilyTests.Logits(folder.Folder), DenseFamilyTests.Logits(path), 1e-5, "bailing_moe → F32 GGUF");
    }

    // llama.cpp's bailingmoe: interleaved rotation on the permuted rows, every layer sparse, renormalised softmax, the shared experts.
    [Fact]
    public void TheGgufReadsAsLlamaCppWritesIt()
    {
        using var synth = new SynthesizedModel("tiny-bailingmoe", "F16", 1);
        var o = synth.Model.Options;
        Assert.Equal((Core.Ops.RopeStyle.Interleaved, 8, 2, 128, 256, true), (o.Rope!.Style, o.Moe!.ExpertCount, o.Moe.ExpertsUsed, o.Moe.ExpertFeedForward,
            o.Moe.SharedFeedForward, o.Moe.NormalizeTopK));
        Assert.All(synth.Model.Weights.Layers, l => Assert.NotNull(l.Moe!.Shared));
    }

    [Fact]
    public void WhatTheEngineOrLlamaCppCannotRunIsAnErrorNamingTheKey()
    {
        using (var folder = new TinyHfFolder("bailing_moe", edit: c => c["use_qkv_bias"] = true))
            Assert.Contains("'use_qkv_bias' is true", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
        using (var folder = new TinyHfFolder("bailing_moe", edit: c => c["tie_word_embeddings"] = true))
            Assert.Contains("'norm_head' is true with tie_word_embeddings", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
        using (var folder = new TinyHfFolder("bailing_moe", edit: Edit("dense-lead")))
            Assert.Contains("'first_k_dense_replace' is 1", Assert.Throws<InvalidModelFileException>(() => new HfGgufInput(folder.Folder)).Message);
    }

    [Fact]
    public void TheV2FolderMatchesTheReferenceAndItsGguf()
    {
        using var folder = new TinyHfFolder("bailing_moe_v2");
        DecoderChecks.AssertClose(Reference(folder), DenseFamilyTests.Logits(folder.Folder), 1e-4, "bailing_moe_v2");
        var path = Path.Combine(folder.Folder, "bailing2.gguf");
        using (var input = new HfGgufInput(folder.Folder))
        {
            var m = input.Metadata;
            Assert.Equal((2, 8, 1, 1, 32, 4, 2, 2, 32), (m.GetInt32("bailingmoe2.block_count"), m.GetInt32("bailingmoe2.rope.dimension_count"),
                m.GetInt32("bailingmoe2.leading_dense_block_count"), m.GetInt32("bailingmoe2.expert_shared_count"),
                m.GetInt32("bailingmoe2.expert_shared_feed_forward_length"), m.GetInt32("bailingmoe2.expert_group_count"),
                m.GetInt32("bailingmoe2.expert_group_used_count"), m.GetInt32("bailingmoe2.expert_gating_func"), m.GetInt32("bailingmoe2.expert_feed_forward_length")));
            Assert.True(m.TryGetSingle("bailingmoe2.expert_weights_scale", out var scale) && scale == 2.5f);
            Assert.Contains(input.Tensors, t => t.Name == "blk.0.attn_qkv.weight" && t.Shape.SequenceEqual(new long[] { 128, 64 }));
            Assert.Contains(input.Tensors, t => t.Name == "blk.1.exp_probs_b.bias");
            Assert.Contains(input.Tensors, t => t.Name == "blk.1.attn_q_norm.weight");
            Assert.DoesNotContain(input.Tensors, t => t.Name.StartsWith("blk.2.", StringComparison.Ordinal));
            GgufQuantizer.Quantize(input, path, QuantizationMix.Find("F32")!, null, WorkerPool.Shared);
        }
        DecoderChecks.AssertClose(DenseFamilyTests.Logits(folder.Folder), DenseFamilyTests.Logits(path), 1e-5, "bailing_moe_v2 → F32 GGUF");
    }

    [Theory]
    [InlineData("partial_rotary_factor")]
    [InlineData("qk_norm")]
    [InlineData("groups")]
    [InlineData("selection_bias")]
    [InlineData("sigmoid")]
    [InlineData("routed_scaling")]
    [InlineData("shared_expert")]
    public void DroppingAV2SwitchMovesTheLogitsFarBeyondTheTolerance(string drop)
    {
        using var folder = new TinyHfFolder("bailing_moe_v2");
        var error = DenseFamilyTests.DroppedSwitchError(folder.Folder, drop);
        Assert.True(error > 1e-3, $"bailing_moe_v2 without {drop}: max|Δ|/max|ref| = {error:E2}");
    }

    // llama.cpp's bailingmoe2: the nextn block skipped, q/k norms on the fused projection's rows, half of each head rotated as
    // halves, sigmoid routing in groups with the selection bias, the shared expert; batched steps as each sequence alone.
    [Fact]
    public void TheV2GgufSkipsItsNextNBlockAndRunsBatches()
    {
        using var synth = new SynthesizedModel("tiny-bailingmoe2", "F16", 1);
        var o = synth.Model.Options;
        Assert.Equal((4, 32, Core.Ops.RopeStyle.Half, true), (o.LayerCount, o.Rope!.RotaryDim, o.Rope.Style, o.QkNorm));
        Assert.Equal((Moxing.Models.Decoder.MoeGating.Sigmoid, 4, 2, 2.5f, 128), (o.Moe!.Gating, o.Moe.ExpertGroups, o.Moe.ExpertGroupsUsed, o.Moe.RoutedScale, o.Moe.SharedFeedForward));
        var layers = synth.Model.Weights.Layers;
        Assert.Null(layers[0].Moe);
        Assert.All(layers, l => Assert.NotNull(l.Attention!.Qkv));
        Assert.All(layers, l => Assert.NotNull(l.Attention!.QNorm));
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(synth.Model, 1e-4);
        using var folder = new TinyHfFolder("bailing_moe_v2");
        using var model = ModelLoader.Load(folder.Folder);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(model.RequireDecoder(), 1e-5, Core.Tensors.DType.F32);
    }

    [Fact]
    public void WhatLlamaCppsBailingMoe2CannotExpressIsNotConverted()
    {
        using (var folder = new TinyHfFolder("bailing_moe_v2", edit: c => c["num_shared_experts"] = 2))
        {
            DecoderChecks.AssertClose(Reference(folder), DenseFamilyTests.Logits(folder.Folder), 1e-4, "bailing_moe_v2 with two shared experts");
            Assert.Contains("'num_shared_experts' is 2", Assert.Throws<InvalidModelFileException>(() => new HfGgufInput(folder.Folder)).Message);
        }
        using (var folder = new TinyHfFolder("bailing_moe_v2", edit: c => c["use_qk_norm"] = false))
            Assert.Contains("'use_qk_norm' is false", Assert.Throws<InvalidModelFileException>(() => new HfGgufInput(folder.Folder)).Message);
        using (var folder = new TinyHfFolder("bailing_moe_v2", edit: c => c["n_group"] = 3))
            Assert.Contains("'n_group' is 3", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
    }
}
