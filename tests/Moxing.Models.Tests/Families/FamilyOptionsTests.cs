using Moxing.Core.Formats.Gguf;
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
        foreach (var type in new[] { "llama", "mistral", "qwen2", "qwen3", "phi3", "gemma2", "gemma3_text", "gemma3", "gpt2", "granite", "olmo2", "gemma", "phi", "starcoder2" })
            Assert.NotNull(ModelRegistry.ForModelType(type));
        Assert.Contains("bert", ModelRegistry.EncoderTypes);
        foreach (var arch in new[] { "llama", "qwen2", "qwen3", "phi3", "gemma2", "gemma3", "gpt2", "granite", "olmo2", "gemma", "phi2", "starcoder2" })
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

    // gemma-3-1b's config.json (transformers 4.50): sliding_window_pattern, rope_local_base_freq, no scaling.
    private const string Gemma3Text1b = """
        {"model_type": "gemma3_text", "hidden_size": 1152, "intermediate_size": 6912, "num_hidden_layers": 26,
         "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 256, "vocab_size": 262144, "max_position_embeddings": 32768,
         "rms_norm_eps": 1e-6, "query_pre_attn_scalar": 256, "rope_theta": 1000000, "rope_local_base_freq": 10000,
         "rope_scaling": null, "sliding_window": 512, "sliding_window_pattern": 6, "final_logit_softcapping": null,
         "attn_logit_softcapping": null, "hidden_activation": "gelu_pytorch_tanh"}
        """;

    [Fact]
    public void Gemma3TextReadsItsWindowsAndBothRopeSchedules()
    {
        var o = Read(Gemma3Text1b);
        Assert.Equal("gemma3", o.Architecture);
        Assert.True(o.QkNorm);
        Assert.Equal(1f, o.NormWeightOffset);
        Assert.True(o.PostNorms);
        Assert.Equal(Activation.GeluTanh, o.Activation);
        Assert.Equal(MathF.Sqrt(1152), o.EmbeddingScale);
        Assert.Equal(1 / 16f, o.EffectiveAttentionScale, 6);
        Assert.Equal(0f, o.AttentionSoftCap);
        Assert.Equal(0f, o.FinalLogitSoftCap);
        Assert.Equal(Enumerable.Range(0, 26).Select(i => (i + 1) % 6 == 0 ? 0 : 512), o.SlidingWindows);
        Assert.Equal(1_000_000, o.Rope!.Theta);
        Assert.Equal(10_000, o.SlidingRope!.Theta);
        Assert.Equal(RopeScaling.Default, o.SlidingRope.Scaling);
        Assert.Equal(256, o.SlidingRope.RotaryDim);
        Assert.True(o.UsesSlidingRope(0));
        Assert.False(o.UsesSlidingRope(5));
        Assert.Equal(3f, Read(Gemma3Text1b.Replace("\"final_logit_softcapping\": null", "\"final_logit_softcapping\": 3.0")).FinalLogitSoftCap);
    }

    // gemma-3-4b-it's config.json: the text model in text_config, most keys left to Gemma3TextConfig's defaults.
    [Fact]
    public void Gemma3MultimodalReadsTextConfigWithItsDefaults()
    {
        var o = Read("""
            {"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3", "eos_token_id": [1, 106],
             "text_config": {"hidden_size": 2560, "intermediate_size": 10240, "model_type": "gemma3_text", "num_hidden_layers": 34,
                             "rope_scaling": {"factor": 8.0, "rope_type": "linear"}, "sliding_window": 1024},
             "vision_config": {"hidden_size": 1152, "model_type": "siglip_vision_model"}}
            """);
        Assert.Equal((2560, 34, 8, 4, 256, 262208, 131072), (o.HiddenSize, o.LayerCount, o.HeadCount, o.KvHeadCount, o.HeadDim, o.VocabSize, o.MaxContext));
        Assert.Equal(1e-6f, o.NormEps);
        Assert.Equal(1 / 16f, o.EffectiveAttentionScale, 6);
        Assert.Equal(Enumerable.Range(0, 34).Select(i => (i + 1) % 6 == 0 ? 0 : 1024), o.SlidingWindows);
        Assert.Equal((RopeScaling.Linear, 8.0, 1_000_000.0), (o.Rope!.Scaling, o.Rope.Factor, o.Rope.Theta));
        Assert.Equal((RopeScaling.Default, 10_000.0), (o.SlidingRope!.Scaling, o.SlidingRope.Theta));
        var e = Assert.Throws<Core.InvalidModelFileException>(() => Read("{\"model_type\": \"gemma3\", \"text_config\": {\"hidden_size\": \"wide\"}}"));
        Assert.Contains("text_config.hidden_size", e.Message);
    }

    // transformers 5: layer_types win over any pattern, rope_parameters hold one schedule per layer type.
    [Fact]
    public void Gemma3ReadsLayerTypesAndPerLayerTypeRope()
    {
        var o = Read(Gemma3Text1b.Replace("\"rope_scaling\": null,", """
            "layer_types": ["full_attention", "sliding_attention", "sliding_attention"], "num_hidden_layers": 3,
            "rope_parameters": {"full_attention": {"rope_type": "linear", "factor": 8.0, "rope_theta": 1000000.0},
                                "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0}},
            """).Replace("\"num_hidden_layers\": 26,", ""));
        Assert.Equal([0, 512, 512], o.SlidingWindows);
        Assert.Equal((RopeScaling.Linear, 8.0), (o.Rope!.Scaling, o.Rope.Factor));
        Assert.Equal((RopeScaling.Default, 10_000.0), (o.SlidingRope!.Scaling, o.SlidingRope.Theta));
    }

    [Fact]
    public void Gemma3MultimodalNamesFindTheTextModelInEitherNesting()
    {
        var names = new Gemma3Family().HfNames;
        Assert.Contains(("model.language_model.", "model."), names.NestedPrefixes);
        Assert.Contains(("language_model.model.", "model."), names.NestedPrefixes);
        Assert.Contains("model.vision_tower.", names.IgnoredPrefixes);
        Assert.Equal("model.layers.{i}.self_attn.q_norm.weight", names.QNorm);
        Assert.Equal("model.layers.{i}.pre_feedforward_layernorm.weight", names.MlpNorm);
    }

    [Theory]
    [InlineData(null, 2, new[] { 0, 0, 0, 0, 0, 0, 0, 0 })]
    [InlineData(null, null, new[] { 8, 8, 8, 8, 8, 0, 8, 8 })]
    [InlineData(null, 3, new[] { 8, 8, 0, 8, 8, 0, 8, 8 })]
    [InlineData(null, 0, new[] { 8, 8, 8, 8, 8, 8, 8, 8 })]
    [InlineData(new[] { true, false, true, false, false, true, true, true }, null, new[] { 8, 0, 8, 0, 0, 8, 8, 8 })]
    public void Gemma3GgufReadsTheWindowPattern(bool[]? flags, int? period, int[] expected)
    {
        var path = Path.GetTempFileName();
        try
        {
            var w = new GgufWriter()
                .Set("general.architecture", "gemma3").Set("gemma3.embedding_length", 64u).Set("gemma3.block_count", 8u)
                .Set("gemma3.attention.head_count", 4u).Set("gemma3.attention.head_count_kv", 1u).Set("gemma3.attention.key_length", 32u)
                .Set("gemma3.feed_forward_length", 128u).Set("gemma3.context_length", 1024u).Set("gemma3.rope.freq_base", 1000000f)
                .Set("gemma3.rope.scaling.type", "linear").Set("gemma3.rope.scaling.factor", 8f);
            // period 2 stands for "no window key" here: llama.cpp then has no sliding layer, whatever the pattern.
            if (period != 2) w.Set("gemma3.attention.sliding_window", 8u);
            if (period is { } n && n != 2) w.Set("gemma3.attention.sliding_window_pattern", (uint)n);
            if (flags != null) w.Set("gemma3.attention.sliding_window_pattern", flags);
            if (period == 3) w.Set("gemma3.rope.freq_base_swa", 500f);
            w.AddF32("token_embd.weight", [10, 64], new float[640]).Write(path);
            using var file = GgufFile.Open(path);
            var o = new Gemma3Family().FromGguf(file);
            Assert.Equal(expected, o.SlidingWindows);
            Assert.Equal((RopeScaling.Linear, 1_000_000.0), (o.Rope!.Scaling, o.Rope.Theta));
            Assert.Equal(0f, o.NormWeightOffset);
            Assert.True(o.QkNorm);
            Assert.Equal(1 / MathF.Sqrt(32), o.EffectiveAttentionScale, 6);
            if (period == 2) Assert.Null(o.SlidingRope);
            else Assert.Equal((RopeScaling.Default, period == 3 ? 500.0 : 10_000.0), (o.SlidingRope!.Scaling, o.SlidingRope.Theta));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void BadHeadCountsAreConfigErrors()
    {
        var e = Assert.Throws<Core.InvalidModelFileException>(() => Read("{\"model_type\": \"llama\", \"hidden_size\": 64, \"num_attention_heads\": 4, \"num_key_value_heads\": 3, \"num_hidden_layers\": 1, \"intermediate_size\": 8, \"vocab_size\": 10}"));
        Assert.Contains("num_key_value_heads", e.Message);
    }
}
