using Moxing.Core;
using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Mixes;
using Moxing.Models.Conversion;
using Moxing.Models.Decoder;
using Moxing.Models.Tests.Decoder;
using Moxing.Tests;

namespace Moxing.Models.Tests.Families;

/// <summary>
/// DeepSeek-V2 (V2-Lite's layout) and V3 checkpoints (<see cref="TinyHfFolder"/>) give the logits of <see cref="DenseReference"/>'s
/// statement of their modeling code; each switch (MLA's rotary part, its pairing, the mscale, the routing variant, the selection
/// bias, the scaling factor, the shared experts) moves them far beyond the tolerance; batched steps equal each sequence alone;
/// configurations the engine cannot run are errors naming the key.
/// </summary>
public sealed class DeepSeekFamilyTests
{
    /// <summary>The DeepSeek model types TinyHfFolder writes.</summary>
    public static TheoryData<string> ModelTypes() => ["deepseek_v2", "deepseek_v3"];

    [Theory]
    [MemberData(nameof(ModelTypes))]
    public void TheFolderMatchesTheReference(string modelType)
    {
        using var folder = new TinyHfFolder(modelType);
        DecoderChecks.AssertClose(DenseFamilyTests.Flatten(new DenseReference(folder.Folder).Forward(DenseFamilyTests.Prompt)),
            DenseFamilyTests.Logits(folder.Folder), 1e-4, modelType);
    }

    // DeepSeek-V2's group_limited_greedy (groups ranked by their best expert; one group searched, so its 2 experts are chosen where the
    // best two overall would span groups) with V2's large routed_scaling_factor.
    [Fact]
    public void GroupLimitedGreedyMatchesTheReference()
    {
        using var folder = new TinyHfFolder("deepseek_v2", edit: GroupLimited);
        DecoderChecks.AssertClose(DenseFamilyTests.Flatten(new DenseReference(folder.Folder).Forward(DenseFamilyTests.Prompt)),
            DenseFamilyTests.Logits(folder.Folder), 1e-4, "deepseek_v2 group_limited_greedy");
        var error = LogitErrors.RelativeMax(DenseFamilyTests.Flatten(new DenseReference(folder.Folder).Forward(DenseFamilyTests.Prompt, "groups")),
            DenseFamilyTests.Logits(folder.Folder));
        Assert.True(error > 1e-3, $"group_limited_greedy without its groups: max|Δ|/max|ref| = {error:E2}");
    }

    private static void GroupLimited(System.Text.Json.Nodes.JsonObject c) =>
        (c["topk_method"], c["n_group"], c["topk_group"], c["routed_scaling_factor"]) = ("group_limited_greedy", 4, 1, 16.0);

    [Theory]
    [InlineData("deepseek_v2", "mla_rope")]
    [InlineData("deepseek_v2", "interleaved")]
    [InlineData("deepseek_v2", "mscale")]
    [InlineData("deepseek_v2", "shared_expert")]
    [InlineData("deepseek_v3", "mla_rope")]
    [InlineData("deepseek_v3", "mscale")]
    [InlineData("deepseek_v3", "groups")]
    [InlineData("deepseek_v3", "selection_bias")]
    [InlineData("deepseek_v3", "sigmoid")]
    [InlineData("deepseek_v3", "routed_scaling")]
    [InlineData("deepseek_v3", "shared_expert")]
    public void DroppingASwitchMovesTheLogitsFarBeyondTheTolerance(string modelType, string drop)
    {
        using var folder = new TinyHfFolder(modelType);
        var error = DenseFamilyTests.DroppedSwitchError(folder.Folder, drop);
        Assert.True(error > 1e-3, $"{modelType} without {drop}: max|Δ|/max|ref| = {error:E2}");
    }

    [Theory]
    [MemberData(nameof(ModelTypes))]
    public void TheFolderRunsBatchesAsEachSequenceAlone(string modelType)
    {
        using var folder = new TinyHfFolder(modelType);
        using var model = ModelLoader.Load(folder.Folder);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(model.RequireDecoder(), 1e-5, Core.Tensors.DType.F32);
    }

    // The options a V3 folder reads: keys 24 wide and values 16, the query rank, the dense first layer, sigmoid group routing.
    [Fact]
    public void TheV3FolderReadsLatentAttentionAndItsRouting()
    {
        using var folder = new TinyHfFolder("deepseek_v3");
        using var model = ModelLoader.Load(folder.Folder);
        var o = model.RequireDecoder().Options;
        Assert.Equal((24, 16, 4, 24, 32, 8), (o.HeadDim, o.ValueDim, o.KvHeadCount, o.Mla!.QLoraRank, o.Mla.KvLoraRank, o.Mla.RopeDim));
        Assert.Equal((MoeGating.Sigmoid, 4, 2, MoeGroupScore.SumOfTopTwo, 2.5f, true, 32), (o.Moe!.Gating, o.Moe.ExpertGroups, o.Moe.ExpertGroupsUsed,
            o.Moe.GroupScore, o.Moe.RoutedScale, o.Moe.NormalizeTopK, o.Moe.SharedFeedForward));
        Assert.Equal(Core.Ops.RopeStyle.Interleaved, o.Rope!.Style);
        var layers = model.RequireDecoder().Weights.Layers;
        Assert.Null(layers[0].Moe);
        Assert.Equal(8, layers[1].Moe!.SelectionBias!.Length);
    }

    [Theory]
    [InlineData("kv_lora_rank", "'kv_lora_rank'")]
    [InlineData("q_lora_rank", "'q_lora_rank' is missing")]
    [InlineData("qk_rope_head_dim", "'qk_rope_head_dim'")]
    public void AMissingRankOrHeadKeyIsAnErrorNamingIt(string key, string message)
    {
        using var folder = new TinyHfFolder("deepseek_v2", edit: c => c.Remove(key));
        Assert.Contains(message, Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
    }

    [Fact]
    public void InconsistentHeadsAndRoutingAreErrorsNamingTheKey()
    {
        using (var folder = new TinyHfFolder("deepseek_v3", edit: c => c["head_dim"] = 16))
            Assert.Contains("'head_dim' is 16", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
        using (var folder = new TinyHfFolder("deepseek_v3", edit: c => c["qk_rope_head_dim"] = 7))
            Assert.Contains("'qk_rope_head_dim' is 7", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
        using (var folder = new TinyHfFolder("deepseek_v3", edit: c => c["num_key_value_heads"] = 2))
            Assert.Contains("'num_key_value_heads' is 2", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
        using (var folder = new TinyHfFolder("deepseek_v3", edit: c => c["n_group"] = 3))
            Assert.Contains("'n_group' is 3", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
        using (var folder = new TinyHfFolder("deepseek_v2", edit: c => c["topk_method"] = "random"))
            Assert.Contains("'topk_method' is 'random'", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder.Folder)).Message);
    }

    // llama.cpp's deepseek2 keys as its converter writes them: the _mla head sizes over MQA's latent ones, one key/value head written
    // but every head its own, the dense lead, sigmoid gating with groups, the selection bias, and the yarn_log_multiplier's mscale².
    [Fact]
    public void TheGgufReadsLatentAttentionAndRoutingAsLlamaCppWritesThem()
    {
        using var synth = new SynthesizedModel("tiny-deepseek-v3", "F16", 1);
        var o = synth.Model.Options;
        Assert.Equal((96, 64, 4, 96, 128, 32), (o.HeadDim, o.ValueDim, o.KvHeadCount, o.Mla!.QLoraRank, o.Mla.KvLoraRank, o.Mla.RopeDim));
        Assert.Equal((MoeGating.Sigmoid, 4, 2, 2.5f, true, 128, 16, 4), (o.Moe!.Gating, o.Moe.ExpertGroups, o.Moe.ExpertGroupsUsed, o.Moe.RoutedScale,
            o.Moe.NormalizeTopK, o.Moe.SharedFeedForward, o.Moe.ExpertCount, o.Moe.ExpertsUsed));
        Assert.Equal((Core.Ops.RopeStyle.Interleaved, Core.Ops.RopeScaling.Yarn, 1.0, 32), (o.Rope!.Style, o.Rope.Scaling, o.Rope.CosSinScale, o.Rope.RotaryDim));
        var mscale = 0.1 * Math.Log(4) + 1;
        Assert.Equal(mscale * mscale / Math.Sqrt(96), o.EffectiveAttentionScale, 1e-6);
        var layers = synth.Model.Weights.Layers;
        Assert.Null(layers[0].Moe);
        Assert.All(layers.Skip(1), l => Assert.Equal(16, l.Moe!.SelectionBias!.Length));
        Assert.All(layers, l => Assert.NotNull(l.Attention!.Mla!.QA));
    }

    // Older converters wrote kv_b_proj whole (attn_kv_b); newer ones split it into attn_k_b (per head transposed) and attn_v_b.
    [Fact]
    public void AFileWithTheWholeKvBGivesTheLogitsOfTheSplitOne()
    {
        using var synth = new SynthesizedModel("tiny-deepseek-v2", "F16", 2);
        var prompt = DecoderChecks.Ids(9, 3, synth.Shape.Vocab);
        var split = DecoderChecks.Alone(synth.Model, Core.Tensors.DType.F32, prompt);
        var whole = Path.Combine(synth.Folder, "whole.gguf");
        using (var file = Core.Formats.Gguf.GgufFile.Open(synth.Path))
        {
            var writer = new Core.Formats.Gguf.GgufWriter();
            foreach (var (key, value) in file.Metadata) writer.Set(key, value);
            foreach (var t in file.Tensors.Where(t => !t.Name.EndsWith("attn_v_b.weight", StringComparison.Ordinal)))
            {
                if (!t.Name.EndsWith("attn_k_b.weight", StringComparison.Ordinal)) writer.AddTensor(t);
                else writer.AddF32(t.Name.Replace("attn_k_b", "attn_kv_b", StringComparison.Ordinal), [4 * (64 + 64), 128],
                    KvB(t, file.Find(t.Name.Replace("attn_k_b", "attn_v_b", StringComparison.Ordinal))!));
            }
            writer.Write(whole);
        }
        using var model = ModelLoader.Load(whole);
        DecoderChecks.AssertClose(split, DecoderChecks.Alone(model.RequireDecoder(), Core.Tensors.DType.F32, prompt), 1e-6, "attn_kv_b vs attn_k_b + attn_v_b");
    }

    // kv_b_proj's rows from attn_k_b [heads, rank, nope] and attn_v_b [heads, value, rank]: per head the transposed k_b, then v_b.
    private static float[] KvB(Core.Tensors.StoredTensor kB, Core.Tensors.StoredTensor vB)
    {
        int heads = (int)kB.Shape[0], rank = (int)kB.Shape[1], nope = (int)kB.Shape[2], vd = (int)vB.Shape[1];
        float[] k = new float[kB.ElementCount], v = new float[vB.ElementCount], result = new float[heads * (nope + vd) * rank];
        Core.Quantization.Dequantizer.Dequantize(kB.Type, kB.Bytes, k);
        Core.Quantization.Dequantizer.Dequantize(vB.Type, vB.Bytes, v);
        for (var h = 0; h < heads; h++)
        {
            for (var c = 0; c < nope; c++)
                for (var r = 0; r < rank; r++) result[(h * (nope + vd) + c) * rank + r] = k[(h * rank + r) * nope + c];
            Array.Copy(v, h * vd * rank, result, (h * (nope + vd) + nope) * rank, vd * rank);
        }
        return result;
    }

    [Theory]
    [MemberData(nameof(ModelTypes))]
    public void TheConvertedGgufMatchesTheFolder(string modelType)
    {
        using var folder = new TinyHfFolder(modelType);
        var path = Path.Combine(folder.Folder, modelType + ".gguf");
        using (var input = new HfGgufInput(folder.Folder))
            GgufQuantizer.Quantize(input, path, QuantizationMix.Find("F32")!, null, WorkerPool.Shared);
        DecoderChecks.AssertClose(DenseFamilyTests.Logits(folder.Folder), DenseFamilyTests.Logits(path), 1e-5, modelType + " → F32 GGUF");
    }

    // DeepseekV2Model's keys for the V3 folder: MQA over the latent, the _mla head sizes, kv_b split, the routing keys, the log multiplier.
    [Fact]
    public void TheConversionWritesWhatLlamaCppsConverterWrites()
    {
        using var folder = new TinyHfFolder("deepseek_v3");
        using var input = new HfGgufInput(folder.Folder);
        var m = input.Metadata;
        Assert.Equal((1, 24, 32, 40, 32, 24, 16, 8), (m.GetInt32("deepseek2.attention.head_count_kv"), m.GetInt32("deepseek2.attention.q_lora_rank"),
            m.GetInt32("deepseek2.attention.kv_lora_rank"), m.GetInt32("deepseek2.attention.key_length"), m.GetInt32("deepseek2.attention.value_length"),
            m.GetInt32("deepseek2.attention.key_length_mla"), m.GetInt32("deepseek2.attention.value_length_mla"), m.GetInt32("deepseek2.rope.dimension_count")));
        Assert.Equal((1, 1, 4, 2, 2), (m.GetInt32("deepseek2.leading_dense_block_count"), m.GetInt32("deepseek2.expert_shared_count"),
            m.GetInt32("deepseek2.expert_group_count"), m.GetInt32("deepseek2.expert_group_used_count"), m.GetInt32("deepseek2.expert_gating_func")));
        Assert.True(m.GetBool("deepseek2.expert_weights_norm"));
        Assert.True(m.TryGetSingle("deepseek2.expert_weights_scale", out var scale) && scale == 2.5f);
        Assert.True(m.TryGetSingle("deepseek2.rope.scaling.yarn_log_multiplier", out var logMul) && Math.Abs(logMul - 0.1f) < 1e-7);
        Assert.Contains(input.Tensors, t => t.Name == "blk.1.attn_k_b.weight" && t.Shape.SequenceEqual(new long[] { 4, 32, 16 }));
        Assert.Contains(input.Tensors, t => t.Name == "blk.1.attn_v_b.weight" && t.Shape.SequenceEqual(new long[] { 4, 16, 32 }));
        Assert.Contains(input.Tensors, t => t.Name == "blk.1.exp_probs_b.bias");
        Assert.DoesNotContain(input.Tensors, t => t.Name.Contains("attn_kv_b", StringComparison.Ordinal));
    }

    // What llama.cpp's deepseek2 would compute differently: groups ranked by their best expert, a rotation of halves.
    [Fact]
    public void ConfigsLlamaCppWouldComputeDifferentlyAreNotConverted()
    {
        using (var folder = new TinyHfFolder("deepseek_v2", edit: GroupLimited))
            Assert.Contains("'topk_method' is group_limited_greedy", Assert.Throws<InvalidModelFileException>(() => new HfGgufInput(folder.Folder)).Message);
        using (var folder = new TinyHfFolder("deepseek_v3", edit: c => c["rope_interleave"] = false))
            Assert.Contains("'rope_interleave' is false", Assert.Throws<InvalidModelFileException>(() => new HfGgufInput(folder.Folder)).Message);
    }
}
