using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;
using Moxing.Models.Families;

namespace Moxing.Models.Tests.Families;

/// <summary>Each family turns its config into the decoder's switches.</summary>
public sealed class FamilyOptionsTests
{
    private const string LlamaLike = """
        "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2, "num_hidden_layers": 4,
        "intermediate_size": 128, "vocab_size": 100, "max_position_embeddings": 4096, "rms_norm_eps": 1e-6
        """;

    private static DecoderOptions Read(string json)
    {
        var config = HfConfig.Parse(json, "config.json");
        var family = ModelRegistry.ForModelType(config.GetString("model_type"))!;
        return family.FromHf(config);
    }

    [Fact]
    public void EveryIssueFamilyIsRegistered()
    {
        foreach (var type in new[] { "llama", "mistral", "qwen2", "qwen3", "phi3", "gemma2", "gpt2" })
            Assert.NotNull(ModelRegistry.ForModelType(type));
        Assert.Contains("bert", ModelRegistry.EncoderTypes);
        foreach (var arch in new[] { "llama", "qwen2", "qwen3", "phi3", "gemma2", "gpt2" })
            Assert.NotNull(ModelRegistry.ForGgufArchitecture(arch));
    }

    [Fact]
    public void Gemma2SwitchesOnItsFeatures()
    {
        var o = Read("{\"model_type\": \"gemma2\", " + LlamaLike + ", \"head_dim\": 32, \"query_pre_attn_scalar\": 144, \"attn_logit_softcapping\": 50.0, \"final_logit_softcapping\": 30.0, \"sliding_window\": 4096}");
        Assert.Equal(1f, o.NormWeightOffset);
        Assert.Equal(Activation.GeluTanh, o.Activation);
        Assert.True(o.PostNorms);
        Assert.Equal(8f, o.EmbeddingScale);
        Assert.Equal(1 / 12f, o.EffectiveAttentionScale, 6);
        Assert.Equal(50f, o.AttentionSoftCap);
        Assert.Equal(30f, o.FinalLogitSoftCap);
        Assert.Equal([4096, 0, 4096, 0], o.SlidingWindows);
        Assert.Equal(32, o.HeadDim);
    }

    [Fact]
    public void MistralSlidesEveryLayerAndQwen3NormsHeads()
    {
        Assert.Equal([512, 512, 512, 512], Read("{\"model_type\": \"mistral\", " + LlamaLike + ", \"sliding_window\": 512}").SlidingWindows);
        Assert.True(Read("{\"model_type\": \"qwen3\", " + LlamaLike + "}").QkNorm);
        Assert.False(Read("{\"model_type\": \"qwen2\", " + LlamaLike + "}").QkNorm);
    }

    // Phi-4-mini's shape: 16 heads dims, partial_rotary_factor 0.75 → 12 rotated, 6 factors each; max 131072 over 4096.
    [Fact]
    public void Phi3LongRopeIsReadWithItsFactorsAndChecked()
    {
        const string phi4 = "{\"model_type\": \"phi3\", " + LlamaLike + ", \"max_position_embeddings\": 131072, \"original_max_position_embeddings\": 4096, \"partial_rotary_factor\": 0.75, \"rope_theta\": 10000.0, \"rope_scaling\": {\"type\": \"longrope\", \"short_factor\": SHORT, \"long_factor\": [1, 2, 3, 4, 5, 6]}}";
        var rope = Read(phi4.Replace("SHORT", "[1, 1, 1, 1.5, 1.5, 2]")).Rope!;
        Assert.Equal((RopeScaling.LongRope, 12, 4096, 32.0), (rope.Scaling, rope.RotaryDim, rope.OriginalContext, rope.Factor));
        Assert.Equal([1f, 2, 3, 4, 5, 6], rope.LongFactors!);
        Assert.Equal(Math.Sqrt(1 + Math.Log(32) / Math.Log(4096)), rope.CosSinScale, 12);
        var e = Assert.Throws<Core.InvalidModelFileException>(() => Read(phi4.Replace("SHORT", "[1, 1, 1, 1]")));
        Assert.Contains("key 'rope_scaling' has 4 numbers in short_factor; the 12 rotated dimensions need 6", e.Message);
        e = Assert.Throws<Core.InvalidModelFileException>(() => Read(phi4.Replace("SHORT", "[1, 1, 0, 1, 1, 1]")));
        Assert.Contains("short_factor", e.Message);
    }

    [Fact]
    public void DynamicNtkGrowsFromMaxPositionEmbeddings()
    {
        var rope = Read("{\"model_type\": \"llama\", " + LlamaLike + ", \"original_max_position_embeddings\": 1024, \"rope_scaling\": {\"type\": \"dynamic\", \"factor\": 2.0}}").Rope!;
        Assert.Equal((RopeScaling.DynamicNtk, 2.0, 4096), (rope.Scaling, rope.Factor, rope.OriginalContext));
    }

    [Fact]
    public void Llama31RopeScalingIsReadFromTheHubLayout()
    {
        var o = Read("{\"model_type\": \"llama\", " + LlamaLike + ", \"rope_theta\": 500000.0, \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192}}");
        Assert.Equal(RopeScaling.Llama3, o.Rope!.Scaling);
        Assert.Equal(500000, o.Rope.Theta);
        Assert.Equal(8192, o.Rope.OriginalContext);
        Assert.Equal(RopeStyle.Half, o.Rope.Style);
    }

    [Fact]
    public void YarnAndLinearScalingAreRead()
    {
        var yarn = Read("{\"model_type\": \"qwen2\", " + LlamaLike + ", \"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4.0, \"original_max_position_embeddings\": 32768}}");
        Assert.Equal(RopeScaling.Yarn, yarn.Rope!.Scaling);
        Assert.Equal(32768, yarn.Rope.OriginalContext);
        var linear = Read("{\"model_type\": \"llama\", " + LlamaLike + ", \"rope_parameters\": {\"rope_type\": \"linear\", \"factor\": 2.0, \"rope_theta\": 10000.0}}");
        Assert.Equal(RopeScaling.Linear, linear.Rope!.Scaling);
        Assert.Equal(2, linear.Rope.Factor);
    }

    [Fact]
    public void Gpt2HasLearnedPositionsAndLayerNorm()
    {
        var o = Read("{\"model_type\": \"gpt2\", \"n_embd\": 64, \"n_head\": 4, \"n_layer\": 2, \"n_positions\": 512, \"vocab_size\": 100}");
        Assert.True(o.LearnedPositions);
        Assert.Null(o.Rope);
        Assert.Equal(NormKind.Layer, o.Norm);
        Assert.False(o.GatedMlp);
        Assert.Equal(256, o.IntermediateSize);
    }

    [Fact]
    public void Phi3GgufFusesGateAndUpInFfnUp()
    {
        var names = new Phi3Family().GgufNames;
        Assert.Equal("blk.{i}.ffn_up.weight", names.GateUp);
        Assert.Null(names.Up);
    }

    [Fact]
    public void BadHeadCountsAreConfigErrors()
    {
        var e = Assert.Throws<Core.InvalidModelFileException>(() => Read("{\"model_type\": \"llama\", \"hidden_size\": 64, \"num_attention_heads\": 4, \"num_key_value_heads\": 3, \"num_hidden_layers\": 1, \"intermediate_size\": 8, \"vocab_size\": 10}"));
        Assert.Contains("num_key_value_heads", e.Message);
    }
}
