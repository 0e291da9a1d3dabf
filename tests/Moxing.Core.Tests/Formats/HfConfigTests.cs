using Moxing.Core.Formats.HuggingFace;
using Moxing.Tests;

namespace Moxing.Core.Tests.Formats;

public class HfConfigTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static HfConfig Parse(string json) => HfConfig.Parse(json, "config.json");

    public static TheoryData<string> FixtureModels()
    {
        var data = new TheoryData<string>();
        foreach (var d in Directory.EnumerateDirectories(Fixtures.Path("hf", "models")).Order()) data.Add(Path.GetFileName(d));
        return data;
    }

    [Theory]
    [MemberData(nameof(FixtureModels))]
    public void ReadsEveryFixtureConfig(string model)
    {
        var config = HfConfig.Load(Fixtures.Path("hf", "models", model, "config.json"));
        Assert.Equal(model.Split('-')[0], config.GetString("model_type"));
        Assert.Single(config.GetStringList("architectures"));
        Assert.Contains(config.GetInt("vocab_size"), new[] { 1024, 151936 });
        Assert.Equal(model is not ("llama-tiny" or "llama-k256"), config.GetBool("tie_word_embeddings"));
        Assert.Equal(2, config.GetInt("num_hidden_layers", -1) is 2 ? 2 : config.GetInt("n_layer"));
        if (!config.Has("rope_parameters")) return;

        var rope = config.GetRope();
        Assert.Equal(RopeType.Default, rope.Type);
        Assert.Equal(model.StartsWith("qwen") ? 1e6 : 1e4, rope.Theta);
        Assert.Equal(1, rope.Factor);
        Assert.Equal(1, rope.PartialRotaryFactor);
    }

    /// <summary>Rewrites a transformers-5 config into the Hub's older layout: top-level rope_theta plus rope_scaling.</summary>
    private static string ToOldLayout(string json, string? scaling)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        var parameters = node["rope_parameters"]!.AsObject();
        node["rope_theta"] = parameters["rope_theta"]!.DeepClone();
        node.Remove("rope_parameters");
        node["rope_scaling"] = scaling is null ? null : System.Text.Json.Nodes.JsonNode.Parse(scaling);
        return node.ToJsonString();
    }

    [Theory]
    [InlineData("llama-tiny")]
    [InlineData("qwen2-tiny")]
    [InlineData("qwen3-tiny-realvocab")]
    public void BothLayoutsOfAFixtureGiveTheSameSettings(string model)
    {
        var path = Fixtures.Path("hf", "models", model, "config.json");
        var json = File.ReadAllText(path);
        var expected = HfConfig.Load(path).GetRope();
        foreach (var scaling in new string?[] { null, """{"type": "default"}""", """{"rope_type": "default"}""" })
        {
            var rewritten = _temp.Write("config.json", System.Text.Encoding.UTF8.GetBytes(ToOldLayout(json, scaling)));
            var config = HfConfig.Load(rewritten);
            Assert.False(config.Has("rope_parameters"));
            Assert.Equal(expected, config.GetRope());
        }
    }

    // A section's missing or null keys take the defaults; its own values win; errors still name the section.
    [Fact]
    public void WithDefaultsFillsOnlyWhatTheSectionLacks()
    {
        var text = Parse("""{"text_config": {"hidden_size": 2560, "head_dim": null, "sliding_window": "wide"}}""").GetSection("text_config")
            .WithDefaults("""{"hidden_size": 2304, "head_dim": 256, "num_attention_heads": 8}""");
        Assert.Equal((2560, 256, 8), (text.GetInt("hidden_size"), text.GetInt("head_dim"), text.GetInt("num_attention_heads")));
        Assert.Contains("text_config.sliding_window", Assert.Throws<InvalidModelFileException>(() => text.GetInt("sliding_window")).Message);
    }

    [Fact]
    public void Llama3ScalingReadsTheSameFromBothLayouts()
    {
        var old = Parse("""
            {"rope_theta": 500000.0, "max_position_embeddings": 131072,
             "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192, "rope_type": "llama3"}}
            """).GetRope();
        var v5 = Parse("""
            {"rope_parameters": {"rope_theta": 500000.0, "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}}
            """).GetRope();
        var expected = new RopeSettings
        {
            Theta = 500000,
            Type = RopeType.Llama3,
            Factor = 8,
            LowFreqFactor = 1,
            HighFreqFactor = 4,
            OriginalMaxPositionEmbeddings = 8192,
        };
        Assert.Equal(expected, old);
        Assert.Equal(expected, v5);
    }

    [Fact]
    public void YarnWithTheLegacyTypeKeyGetsTransformersDefaults()
    {
        var rope = Parse("""{"rope_theta": 1000000, "rope_scaling": {"factor": 4.0, "original_max_position_embeddings": 32768, "type": "yarn"}}""").GetRope();
        Assert.Equal(RopeType.Yarn, rope.Type);
        Assert.Equal(4, rope.Factor);
        Assert.Equal(32768, rope.OriginalMaxPositionEmbeddings);
        Assert.Equal(32, rope.BetaFast);
        Assert.Equal(1, rope.BetaSlow);
        Assert.True(rope.Truncate);
        Assert.Null(rope.AttentionFactor);

        var deepseek = Parse("""{"rope_parameters": {"rope_type": "yarn", "rope_theta": 10000, "factor": 40, "beta_fast": 32, "beta_slow": 1, "mscale": 1.0, "mscale_all_dim": 1.0, "original_max_position_embeddings": 4096, "attention_factor": 1.2}}""").GetRope();
        Assert.Equal((1.0, 1.0, 1.2), (deepseek.Mscale!.Value, deepseek.MscaleAllDim!.Value, deepseek.AttentionFactor!.Value));
    }

    [Fact]
    public void LongRopeReadsFactorListsAndTopLevelOriginalLength()
    {
        var rope = Parse("""
            {"rope_theta": 10000.0, "original_max_position_embeddings": 4096, "partial_rotary_factor": 0.5,
             "rope_scaling": {"type": "su", "short_factor": [1.0, 1.5], "long_factor": [2, 3.5]}}
            """).GetRope();
        Assert.Equal(RopeType.LongRope, rope.Type);
        Assert.Equal([1f, 1.5f], rope.ShortFactor!);
        Assert.Equal([2f, 3.5f], rope.LongFactor!);
        Assert.Equal(4096, rope.OriginalMaxPositionEmbeddings);
        Assert.Equal(0.5, rope.PartialRotaryFactor);
        Assert.Equal(1, rope.Factor);
    }

    // transformers: without a factor of its own, LongRoPE's is max_position_embeddings / original_max_position_embeddings.
    [Theory]
    [InlineData("""{"max_position_embeddings": 131072, "original_max_position_embeddings": 4096, "rope_scaling": {"type": "longrope", "short_factor": [1], "long_factor": [2]}}""", 32.0)]
    [InlineData("""{"max_position_embeddings": 131072, "original_max_position_embeddings": 4096, "rope_scaling": {"type": "longrope", "factor": 8, "short_factor": [1], "long_factor": [2]}}""", 8.0)]
    [InlineData("""{"max_position_embeddings": 4096, "rope_scaling": {"type": "longrope", "short_factor": [1], "long_factor": [2]}}""", 1.0)]
    public void LongRopeFactorDefaultsToTheContextRatio(string json, double factor) => Assert.Equal(factor, Parse(json).GetRope().Factor);

    [Theory]
    [InlineData("""{"rope_scaling": {"type": "linear", "factor": 2.0}}""", RopeType.Linear, 2.0)]
    [InlineData("""{"rope_scaling": {"rope_type": "dynamic", "factor": 3}}""", RopeType.Dynamic, 3.0)]
    [InlineData("""{"rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]}}""", RopeType.Default, 1.0)]
    [InlineData("""{"rope_scaling": null}""", RopeType.Default, 1.0)]
    [InlineData("""{}""", RopeType.Default, 1.0)]
    public void OtherScalingTypes(string json, RopeType type, double factor)
    {
        var rope = Parse(json).GetRope(defaultTheta: 10000);
        Assert.Equal(type, rope.Type);
        Assert.Equal(factor, rope.Factor);
        Assert.Equal(10000, rope.Theta);
    }

    [Fact]
    public void PerLayerTypeRopeParameters()
    {
        var config = Parse("""
            {"rope_parameters": {"full_attention": {"rope_type": "linear", "factor": 8.0, "rope_theta": 1000000.0},
                                 "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0}}}
            """);
        Assert.Equal(new RopeSettings { Theta = 1e6, Type = RopeType.Linear, Factor = 8 }, config.GetRope(layerType: "full_attention"));
        Assert.Equal(new RopeSettings { Theta = 1e4 }, config.GetRope(layerType: "sliding_attention"));
        var e = Assert.Throws<InvalidModelFileException>(() => config.GetRope());
        Assert.Contains("per layer type (full_attention, sliding_attention)", e.Message);
        Assert.Throws<InvalidModelFileException>(() => config.GetRope(layerType: "chunked"));
    }

    [Theory]
    [InlineData("""{"rope_scaling": {"type": "ntk-by-parts", "factor": 2}}""", "key 'rope_scaling.type' is 'ntk-by-parts', which is not supported")]
    [InlineData("""{"rope_parameters": {"rope_type": "llama3", "rope_theta": 5e5, "factor": 8, "high_freq_factor": 4, "original_max_position_embeddings": 8192}}""", "key 'rope_parameters.low_freq_factor' is missing")]
    [InlineData("""{"rope_scaling": {"type": "linear"}}""", "key 'rope_scaling.factor' is missing")]
    [InlineData("""{"rope_scaling": {"type": "linear", "factor": "2"}}""", "key 'rope_scaling.factor' is \"2\", expected a number")]
    [InlineData("""{"rope_scaling": {"type": "longrope", "long_factor": [1]}}""", "key 'rope_scaling.short_factor' is missing")]
    [InlineData("""{"rope_theta": -1}""", "key 'rope_theta' is -1, expected a positive number")]
    [InlineData("""{"rope_scaling": "linear"}""", "key 'rope_scaling' is \"linear\", expected an object")]
    public void BadRopeSettingsNameTheKey(string json, string problem)
    {
        var e = Assert.Throws<InvalidModelFileException>(() => Parse(json).GetRope());
        Assert.Contains("config.json", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void TypedGettersConvertAndDefault()
    {
        var c = Parse("""
            {"a": 4096, "b": 4096.0, "c": 1e3, "f": 1e-6, "s": "silu", "t": true, "n": null, "eos": [1, 2], "one": 7,
             "text_config": {"hidden_size": 64}, "arch": ["X"]}
            """);
        Assert.Equal(4096, c.GetInt("a"));
        Assert.Equal(4096, c.GetInt("b"));
        Assert.Equal(1000, c.GetInt("c"));
        Assert.Equal(1e-6f, c.GetFloat("f"));
        Assert.Equal(4096.0, c.GetDouble("a"));
        Assert.Equal("silu", c.GetString("s"));
        Assert.True(c.GetBool("t"));
        Assert.False(c.Has("n"));
        Assert.Equal(5, c.GetInt("n", 5));
        Assert.False(c.TryGetInt("n", out _));
        Assert.Equal(9, c.GetInt("missing", 9));
        Assert.Equal("gelu", c.GetString("missing", "gelu"));
        Assert.Equal([1, 2], c.GetIntList("eos"));
        Assert.Equal([7], c.GetIntList("one"));
        Assert.Empty(c.GetIntList("n"));
        Assert.Equal(["X"], c.GetStringList("arch"));
        Assert.Equal(64, c.GetSection("text_config").GetInt("hidden_size"));
        Assert.True(c.TryGetSection("text_config", out var section) && section.Prefix == "text_config.");
    }

    // Llama 4 Scout's attn_temperature_tuning is written as a number in some configs: nonzero is on.
    [Fact]
    public void FlagsReadBooleansAndNumbers()
    {
        var c = Parse("""{"t": true, "f": false, "four": 4, "zero": 0, "s": "yes"}""");
        Assert.Equal((true, false, true, false), (c.GetFlag("t"), c.GetFlag("f"), c.GetFlag("four"), c.GetFlag("zero")));
        Assert.Equal("config.json: key 's' is \"yes\", expected true, false or a number", Assert.Throws<InvalidModelFileException>(() => c.GetFlag("s")).Message);
        Assert.Contains("key 'missing' is missing", Assert.Throws<InvalidModelFileException>(() => c.GetFlag("missing")).Message);
    }

    [Theory]
    [InlineData("f", "key 'f' is 1e-6, expected an integer")]
    [InlineData("s", "key 's' is \"silu\", expected an integer")]
    [InlineData("missing", "key 'missing' is missing (expected an integer)")]
    [InlineData("n", "key 'n' is missing (expected an integer)")]
    [InlineData("big", "key 'big' is 3000000000, expected an integer")]
    public void GetterErrorsNameFileAndKey(string key, string problem)
    {
        var c = Parse("""{"f": 1e-6, "s": "silu", "n": null, "big": 3000000000}""");
        var e = Assert.Throws<InvalidModelFileException>(() => c.GetInt(key));
        Assert.Equal($"config.json: {problem}", e.Message);
    }

    [Fact]
    public void NestedErrorsNameTheFullKey()
    {
        var c = Parse("""{"text_config": {"hidden_size": "64"}, "eos_token_id": [1, "x"]}""");
        var e = Assert.Throws<InvalidModelFileException>(() => c.GetSection("text_config").GetInt("hidden_size"));
        Assert.Contains("key 'text_config.hidden_size' is \"64\"", e.Message);
        e = Assert.Throws<InvalidModelFileException>(() => c.GetIntList("eos_token_id"));
        Assert.Contains("key 'eos_token_id' is [1, \"x\"], expected an integer or a list of integers", e.Message);
    }

    [Fact]
    public void MalformedConfigJson()
    {
        var path = _temp.Write("config.json", "{\"hidden_size\": 64,"u8);
        InvalidFile.Assert(path, "malformed JSON", () => { HfConfig.Load(path); return _temp; });
    }

    [Fact]
    public void InvalidUtf8InAStringIsNamedWithItsOffset()
    {
        // Found by fuzzing: JsonDocument checks UTF-8 only when the string is read, and threw InvalidOperationException there.
        var path = _temp.Write("config.json", [.. "{\"model_type\": \"lla"u8, 0xC3, 0x28, .. "\"}"u8]);
        InvalidFile.Assert(path, "not valid UTF-8 (byte 19 ", () => { HfConfig.Load(path).GetString("model_type"); return _temp; });
    }

    [Fact]
    public void ConfigThatIsNotAnObject()
    {
        var path = _temp.Write("config.json", "[1, 2]"u8);
        InvalidFile.Assert(path, "expected a JSON object", () => { HfConfig.Load(path); return _temp; });
    }

    [Fact]
    public void MissingConfigFile() =>
        InvalidFile.Assert(_temp.File("config.json"), "cannot read the file", () => { HfConfig.Load(_temp.File("config.json")); return _temp; });

    [Theory]
    [InlineData("gpt2-tiny", 2, null)]
    [InlineData("llama-tiny", null, 0)]
    [InlineData("qwen3-tiny-realvocab", null, null)]
    public void ReadsFixtureGenerationConfigs(string model, int? bos, int? pad)
    {
        var generation = GenerationConfig.Load(Fixtures.Path("hf", "models", model, "generation_config.json"));
        var eos = HfConfig.Load(Fixtures.Path("hf", "models", model, "config.json")).GetInt("eos_token_id");
        Assert.Equal([eos], generation.EosTokenIds);
        Assert.Equal(bos, generation.BosTokenId);
        Assert.Equal(pad, generation.PadTokenId);
        Assert.Null(generation.Temperature);
        Assert.Null(generation.DoSample);
    }

    [Fact]
    public void ReadsSamplingDefaultsAndEosLists()
    {
        var g = GenerationConfig.From(Parse("""
            {"bos_token_id": 151643, "do_sample": true, "eos_token_id": [151645, 151643], "pad_token_id": 151643,
             "temperature": 0.6, "top_k": 20, "top_p": 0.95, "min_p": 0, "repetition_penalty": 1.05, "max_new_tokens": 2048}
            """));
        Assert.Equal([151645, 151643], g.EosTokenIds);
        Assert.Equal(151643, g.BosTokenId);
        Assert.True(g.DoSample);
        Assert.Equal(0.6f, g.Temperature);
        Assert.Equal(20, g.TopK);
        Assert.Equal(0.95f, g.TopP);
        Assert.Equal(0f, g.MinP);
        Assert.Equal(1.05f, g.RepetitionPenalty);
        Assert.Equal(2048, g.MaxNewTokens);
        Assert.Null(g.MaxLength);
    }
}
