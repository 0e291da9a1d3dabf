using Moxing.Core;
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
        var error = LogitErrors.RelativeMax(DenseFamilyTests.Flatten(new DenseReference(folder.Folder).Forward(DenseFamilyTests.Prompt, drop)),
            DenseFamilyTests.Logits(folder.Folder));
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
}
