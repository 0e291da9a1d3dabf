using System.Text.Json.Nodes;
using Moxing.Core;
using Moxing.Core.Kernels;
using Moxing.Core.Tensors;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Mixes;
using Moxing.Models.Conversion;
using Moxing.Models.Synthesis;
using Moxing.Models.Tests.Decoder;
using Moxing.Tests;

namespace Moxing.Models.Tests.Families;

/// <summary>
/// Granite, OLMo 2, Gemma, Phi-2, StarCoder2, Falcon, EXAONE, SmolLM3, InternLM2, Cohere, Cohere2, StableLM, GLM-4, GLM, Nemotron, OLMo, MiniCPM, ERNIE 4.5, Seed-OSS, EXAONE 4, Hunyuan dense, Arcee, Mistral 3 and Apertus checkpoints (<see cref="TinyHfFolder"/>) give the logits of
/// <see cref="DenseReference"/>, their converted GGUFs those of the folder, and each family switch moves the logits far
/// beyond the tolerance, ten times it at least (so an engine that ignored it would fail).
/// </summary>
public sealed class DenseFamilyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-dense-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // 13 tokens: past StarCoder2's window of 5, so windowed and full attention differ.
    internal static readonly int[] Prompt = DecoderChecks.Ids(13, 5, 96);

    /// <summary>max|Δ|/max|ref| between the folder's logits and the double-precision reference's with <paramref name="drop"/>
    /// switched off: a mutation check expects it far beyond the tolerance.</summary>
    internal static double DroppedSwitchError(string folder, string drop) =>
        LogitErrors.RelativeMax(Flatten(new DenseReference(folder).Forward(Prompt, drop)), Logits(folder));

    internal static float[] Flatten(double[][] rows) => rows.SelectMany(r => r.Select(v => (float)v)).ToArray();

    internal static float[] Logits(string path, int[]? prompt = null)
    {
        using var model = ModelLoader.Load(path);
        return DecoderChecks.Alone(model.RequireDecoder(), DType.F32, prompt ?? Prompt);
    }

    /// <summary>Every model type TinyHfFolder writes.</summary>
    public static TheoryData<string> ModelTypes() =>
        ["granite", "olmo2", "gemma", "phi", "starcoder2", "falcon", "exaone", "smollm3", "internlm2", "cohere", "cohere2", "stablelm",
         "glm4", "glm", "nemotron", "olmo", "minicpm", "ernie4_5", "ernie4_5_moe", "granitemoe", "granitemoeshared", "phimoe", "seed_oss", "exaone4", "hunyuan_v1_dense", "arcee", "mistral3", "apertus", "hunyuan_v1_moe"];

    [Theory]
    [MemberData(nameof(ModelTypes))]
    public void TheFolderMatchesTheReference(string modelType)
    {
        using var folder = new TinyHfFolder(modelType);
        DecoderChecks.AssertClose(Flatten(new DenseReference(folder.Folder).Forward(Prompt)), Logits(folder.Folder), 1e-4, modelType);
    }

    [Theory]
    [InlineData("granite", "embedding_multiplier")]
    [InlineData("granite", "residual_multiplier")]
    [InlineData("granite", "attention_multiplier")]
    [InlineData("granite", "logits_scaling")]
    [InlineData("olmo2", "post_norms_only")]
    [InlineData("olmo2", "qk_norm")]
    [InlineData("gemma", "normalizer")]
    [InlineData("gemma", "norm_offset")]
    [InlineData("phi", "parallel")]
    [InlineData("phi", "partial_rotary_factor")]
    [InlineData("starcoder2", "sliding_window")]
    [InlineData("falcon", "parallel")]
    [InlineData("falcon", "qkv_groups")]
    [InlineData("exaone", "gate_up_order")]
    [InlineData("smollm3", "nope")]
    [InlineData("internlm2", "qkv_groups")]
    [InlineData("cohere", "parallel")]
    [InlineData("cohere", "interleaved")]
    [InlineData("cohere", "logit_scale")]
    [InlineData("cohere2", "nope")]
    [InlineData("cohere2", "sliding_window")]
    [InlineData("cohere2", "interleaved")]
    [InlineData("stablelm", "partial_rotary_factor")]
    [InlineData("glm4", "post_norms")]
    [InlineData("glm4", "interleaved")]
    [InlineData("glm4", "partial_rotary_factor")]
    [InlineData("glm", "interleaved")]
    [InlineData("nemotron", "norm_offset")]
    [InlineData("nemotron", "relu2")]
    [InlineData("nemotron", "partial_rotary_factor")]
    [InlineData("olmo", "clip_qkv")]
    [InlineData("minicpm", "scale_emb")]
    [InlineData("minicpm", "scale_depth")]
    [InlineData("minicpm", "dim_model_base")]
    [InlineData("ernie4_5", "interleaved")]
    [InlineData("ernie4_5_moe", "interleaved")]
    [InlineData("ernie4_5_moe", "selection_bias")]
    [InlineData("ernie4_5_moe", "shared_expert")]
    [InlineData("granitemoe", "top_k_normalisation")]
    [InlineData("granitemoe", "residual_multiplier")]
    [InlineData("granitemoe", "logits_scaling")]
    [InlineData("granitemoeshared", "shared_expert")]
    [InlineData("phimoe", "sparsemixer")]
    [InlineData("phimoe", "layer_norm")]
    [InlineData("phimoe", "mscale")]
    [InlineData("seed_oss", "qkv_bias")]
    [InlineData("exaone4", "post_norms_only")]
    [InlineData("exaone4", "qk_norm")]
    [InlineData("exaone4", "nope")]
    [InlineData("exaone4", "sliding_window")]
    [InlineData("exaone4", "llama3")]
    [InlineData("hunyuan_v1_dense", "qk_norm_order")]
    [InlineData("hunyuan_v1_dense", "alpha")]
    [InlineData("hunyuan_v1_moe", "qk_norm_order")]
    [InlineData("hunyuan_v1_moe", "alpha")]
    [InlineData("hunyuan_v1_moe", "shared_expert")]
    [InlineData("hunyuan_v1_moe", "top_k_normalisation")]
    [InlineData("arcee", "relu2")]
    [InlineData("apertus", "qk_norm")]
    [InlineData("apertus", "xielu_softplus")]
    [InlineData("apertus", "llama3")]
    public void DroppingASwitchMovesTheLogitsFarBeyondTheTolerance(string modelType, string drop)
    {
        using var folder = new TinyHfFolder(modelType);
        var error = DroppedSwitchError(folder.Folder, drop);
        Assert.True(error > 1e-3, $"{modelType} without {drop}: max|Δ|/max|ref| = {error:E2}");
    }

    // llama.cpp's falcon graph applies the tanh GELU where transformers' FalconMLP applies the exact one (2.4e-4 here); a
    // fused query_key_value read ungrouped moves them far more (DroppingASwitchMovesTheLogitsFarBeyondTheTolerance).
    private static double GgufTolerance(string modelType) => modelType == "falcon" ? 1e-3 : 1e-5;

    // llama.cpp's exaone4 slides only 64-layer models: the two-layer checkpoint converts without its window, as EXAONE-4.0-1.2B's
    // config has none (the hybrid one is refused, VariantsTheEngineOrLlamaCppCannotRunAreClearErrors).
    private static Action<JsonObject>? Convertible(string modelType) => modelType == "exaone4"
        ? c => (c["sliding_window"], c["layer_types"]) = (null, new JsonArray("full_attention", "full_attention"))
        : null;

    [Theory]
    [MemberData(nameof(ModelTypes))]
    public void TheConvertedGgufMatchesTheFolder(string modelType)
    {
        using var folder = new TinyHfFolder(modelType, edit: Convertible(modelType));
        var path = Path.Combine(_dir, modelType + ".gguf");
        using (var input = new HfGgufInput(folder.Folder))
            GgufQuantizer.Quantize(input, path, QuantizationMix.Find("F32")!, null, WorkerPool.Shared);
        // llama.cpp's starcoder2 has no window: its GGUFs attend to every position, as transformers would without one.
        if (modelType == "starcoder2")
            DecoderChecks.AssertClose(Flatten(new DenseReference(folder.Folder).Forward(Prompt, "sliding_window")), Logits(path), 1e-4, "starcoder2 → F32 GGUF");
        else DecoderChecks.AssertClose(Logits(folder.Folder), Logits(path), GgufTolerance(modelType), modelType + " → F32 GGUF");
    }

    // The remote-code configs: RefinedWebModel (falcon-7b: n_head, n_layer, multi-query, one norm) and RefinedWeb (falcon-40b:
    // n_head_kv groups, ln_attn/ln_mlp, no new_decoder_architecture key); each read, and converted, as transformers reads it.
    [Theory]
    [InlineData("RefinedWebModel")]
    [InlineData("RefinedWeb")]
    public void OldFalconConfigsMatchTheReferenceAndConvert(string modelType)
    {
        using var folder = new TinyHfFolder("falcon", edit: c =>
        {
            c["model_type"] = modelType;
            foreach (var (name, old) in new[] { ("num_attention_heads", "n_head"), ("num_hidden_layers", "n_layer"), ("num_kv_heads", "n_head_kv") })
            {
                c[old] = c[name]!.DeepClone();
                c.Remove(name);
            }
            c.Remove("new_decoder_architecture");
            c["multi_query"] = true;
        });
        var logits = Logits(folder.Folder);
        DecoderChecks.AssertClose(Flatten(new DenseReference(folder.Folder).Forward(Prompt)), logits, 1e-4, modelType);
        var path = Path.Combine(_dir, modelType + ".gguf");
        using (var input = new HfGgufInput(folder.Folder))
            GgufQuantizer.Quantize(input, path, QuantizationMix.Find("F32")!, null, WorkerPool.Shared);
        DecoderChecks.AssertClose(logits, Logits(path), GgufTolerance("falcon"), modelType + " → F32 GGUF");
        using var model = ModelLoader.Load(path);
        Assert.Equal(modelType == "RefinedWeb" ? 2 : 1, model.RequireDecoder().Options.KvHeadCount);
    }

    // Ernie4_5Config's use_bias: biases on q/k/v/o and on the MLP's gate, up and down projections, all read from the checkpoint.
    [Fact]
    public void ErnieWithUseBiasMatchesTheReference()
    {
        using var folder = new TinyHfFolder("ernie4_5", edit: c => c["use_bias"] = true);
        using (var f = Moxing.Core.Formats.Safetensors.SafetensorsFile.Open(Path.Combine(folder.Folder, "model.safetensors")))
            Assert.Contains(f.Tensors, t => t.Name == "model.layers.0.mlp.down_proj.bias");
        DecoderChecks.AssertClose(Flatten(new DenseReference(folder.Folder).Forward(Prompt)), Logits(folder.Folder), 1e-4, "ernie4_5 use_bias");
    }

    // SeedOssConfig's attention_out_bias and mlp_bias (false in Seed-OSS-36B): biases on o_proj and the MLP, read from the
    // checkpoint; llama.cpp's seed_oss has no tensor for them, so the conversion refuses them by name.
    [Fact]
    public void SeedOssWithOutputAndMlpBiasesMatchesTheReferenceAndIsNotConverted()
    {
        using var folder = new TinyHfFolder("seed_oss", edit: c => (c["attention_out_bias"], c["mlp_bias"]) = (true, true));
        using (var f = Moxing.Core.Formats.Safetensors.SafetensorsFile.Open(Path.Combine(folder.Folder, "model.safetensors")))
            Assert.Contains(f.Tensors, t => t.Name == "model.layers.0.self_attn.o_proj.bias");
        DecoderChecks.AssertClose(Flatten(new DenseReference(folder.Folder).Forward(Prompt)), Logits(folder.Folder), 1e-4, "seed_oss with all biases");
        Assert.Contains("'attention_out_bias' is true", Assert.Throws<InvalidModelFileException>(() => new HfGgufInput(folder.Folder)).Message);
    }

    // command-r-plus's use_qk_norm: a LayerNorm per head with a weight row of its own, before the rotation.
    [Fact]
    public void PerHeadQkNormsMatchTheReferenceAndCount()
    {
        using var folder = new TinyHfFolder("cohere", edit: c => c["use_qk_norm"] = true);
        var reference = new DenseReference(folder.Folder);
        var logits = Logits(folder.Folder);
        DecoderChecks.AssertClose(Flatten(reference.Forward(Prompt)), logits, 1e-4, "cohere use_qk_norm");
        var error = LogitErrors.RelativeMax(Flatten(reference.Forward(Prompt, "qk_norm")), logits);
        Assert.True(error > 1e-3, $"cohere without its q/k norms: max|Δ|/max|ref| = {error:E2}");
    }

    // stablelm-2-12b: parallel residual (no MLP norm) and one LayerNorm per head on q and k, stacked as llama.cpp's converter
    // stacks them; its GGUF is read by the tensors present, as llama.cpp reads it.
    [Fact]
    public void StableLm2WithParallelResidualAndPerHeadNormsMatchesTheReferenceAndConverts()
    {
        using var folder = new TinyHfFolder("stablelm", edit: c =>
        {
            c["use_parallel_residual"] = true;
            c["qk_layernorm"] = true;
        });
        var reference = new DenseReference(folder.Folder);
        var logits = Logits(folder.Folder);
        DecoderChecks.AssertClose(Flatten(reference.Forward(Prompt)), logits, 1e-4, "stablelm parallel + qk_layernorm");
        foreach (var drop in new[] { "parallel", "qk_norm" })
        {
            var error = LogitErrors.RelativeMax(Flatten(reference.Forward(Prompt, drop)), logits);
            Assert.True(error > 1e-3, $"stablelm without {drop}: max|Δ|/max|ref| = {error:E2}");
        }
        var path = Path.Combine(_dir, "stablelm2-12b-like.gguf");
        using (var input = new HfGgufInput(folder.Folder))
        {
            Assert.Equal(new long[] { 4, 16 }, input.Tensors.Single(t => t.Name == "blk.0.attn_q_norm.weight").Shape);
            Assert.DoesNotContain(input.Tensors, t => t.Name.Contains("ffn_norm", StringComparison.Ordinal));
            GgufQuantizer.Quantize(input, path, QuantizationMix.Find("F32")!, null, WorkerPool.Shared);
        }
        DecoderChecks.AssertClose(logits, Logits(path), 1e-5, "stablelm-2-12b-like → F32 GGUF");
    }

    // Glm4Model.set_vocab and ChatGLMModel.set_vocab name <|endoftext|> the end and unknown token (GLM-4's the beginning one too)
    // and <|user|> the end of turn, whatever tokenizer_config.json says.
    [Theory]
    [InlineData("glm4", "glm4")]
    [InlineData("glm", "chatglm")]
    public void GlmConversionsNameTheConvertersSpecialTokens(string modelType, string architecture)
    {
        using var folder = new TinyHfFolder(modelType);
        var vocab = new JsonObject();
        for (var i = 0; i < 94; i++) vocab[((char)('!' + i)).ToString()] = i;
        var tokenizer = new JsonObject
        {
            ["model"] = new JsonObject { ["type"] = "BPE", ["vocab"] = vocab, ["merges"] = new JsonArray() },
            ["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["use_regex"] = true },
            ["added_tokens"] = new JsonArray(
                new JsonObject { ["id"] = 94, ["content"] = "<|endoftext|>", ["special"] = true },
                new JsonObject { ["id"] = 95, ["content"] = "<|user|>", ["special"] = true }),
        };
        File.WriteAllText(Path.Combine(folder.Folder, "tokenizer.json"), tokenizer.ToJsonString());
        using var input = new HfGgufInput(folder.Folder);
        var m = input.Metadata;
        Assert.Equal(architecture, m.GetString("general.architecture"));
        Assert.Equal((94, 94, 95), (m.GetInt32("tokenizer.ggml.eos_token_id"), m.GetInt32("tokenizer.ggml.unknown_token_id"), m.GetInt32("tokenizer.ggml.eot_token_id")));
        Assert.Equal(modelType == "glm4", m.TryGetInt32("tokenizer.ggml.bos_token_id", out var bos) && bos == 94);
    }

    // AFM-4.5B's YaRN (factor 20; here over 16 original positions, so it bites within the prompt) converts as LlamaModel writes it
    // and reads back to the folder's logits, which it moves.
    [Fact]
    public void ArceeWithYarnConvertsToTheFoldersLogits()
    {
        using var folder = new TinyHfFolder("arcee", edit: c => c["rope_scaling"] = new JsonObject
        {
            ["rope_type"] = "yarn",
            ["factor"] = 20.0,
            ["original_max_position_embeddings"] = 16,
            ["beta_fast"] = 32.0,
            ["beta_slow"] = 1.0,
        });
        var path = Path.Combine(_dir, "arcee-yarn.gguf");
        using (var input = new HfGgufInput(folder.Folder))
        {
            Assert.Equal("yarn", input.Metadata.GetString("arcee.rope.scaling.type"));
            GgufQuantizer.Quantize(input, path, QuantizationMix.Find("F32")!, null, WorkerPool.Shared);
        }
        var logits = Logits(folder.Folder);
        DecoderChecks.AssertClose(logits, Logits(path), 1e-5, "arcee yarn → F32 GGUF");
        Assert.True(LogitErrors.RelativeMax(Flatten(new DenseReference(folder.Folder).Forward(Prompt)), logits) > 1e-3, "YaRN moves nothing");
    }

    // Exaone4Config without layer_types: sliding_window_pattern as a string of L and G ("LLLG" in EXAONE-4.0-32B) or a period.
    [Theory]
    [InlineData("\"LG\"")]
    [InlineData("2")]
    public void Exaone4ReadsItsPatternWithoutLayerTypes(string pattern)
    {
        using var folder = new TinyHfFolder("exaone4", edit: c =>
        {
            c["sliding_window_pattern"] = JsonNode.Parse(pattern);
            c.Remove("layer_types");
        });
        using var model = ModelLoader.Load(folder.Folder);
        var o = model.RequireDecoder().Options;
        Assert.Equal([5, 0], o.SlidingWindows);
        Assert.Equal([true, false], new[] { o.Rotates(0), o.Rotates(1) });
    }

    // llama.cpp scales a hunyuan-dense base by rope.scaling.alpha when the key is set (its converter writes the scaled base instead).
    [Fact]
    public void HunyuanGgufReadsAnAlphaKeyAsTheScaledBase()
    {
        var path = Path.Combine(_dir, "hunyuan-alpha.gguf");
        SyntheticModelWriter.Build(SynthShape.Find("tiny-hunyuan-dense")!, SynthFileType.Find("F16")!, 1)
            .Set("hunyuan-dense.rope.freq_base", 10000f).Set("hunyuan-dense.rope.scaling.alpha", 1000f).Write(path);
        using var model = ModelLoader.Load(path);
        var theta = model.RequireDecoder().Options.Rope!.Theta;
        Assert.Equal(1, theta / Moxing.Models.Families.HunyuanDenseFamily.AlphaBase(10000, 1000, 128), 6);
        Assert.True(theta > 1.1e7, $"base {theta}");
    }

    [Fact]
    public void VariantsTheEngineOrLlamaCppCannotRunAreClearErrors()
    {
        using (var phi = new TinyHfFolder("phi", edit: c => c["qk_layernorm"] = true))
            Assert.Contains("'qk_layernorm' is true", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(phi.Folder)).Message);
        using (var phi = new TinyHfFolder("phi", edit: c => c["intermediate_size"] = 96))
            Assert.Contains("writes 4 × hidden_size (256)", Assert.Throws<InvalidModelFileException>(() => new HfGgufInput(phi.Folder)).Message);
        using (var falcon = new TinyHfFolder("falcon", edit: c => c["alibi"] = true))
            Assert.Contains("'alibi' is true", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(falcon.Folder)).Message);
        using (var falcon = new TinyHfFolder("falcon", edit: c => c["ffn_hidden_size"] = 96))
            Assert.Contains("writes 4 × hidden_size (256)", Assert.Throws<InvalidModelFileException>(() => new HfGgufInput(falcon.Folder)).Message);
        using (var smol = new TinyHfFolder("smollm3", edit: c => c["no_rope_layers"] = new JsonArray(1, 0, 1, 1)))
            Assert.Contains("other layers than every 4th", Assert.Throws<InvalidModelFileException>(() => new HfGgufInput(smol.Folder)).Message);
        // llama.cpp's command-r reads q/k norms by layer count (64 and more), so a 2-layer checkpoint with them cannot be converted.
        using (var cohere = new TinyHfFolder("cohere", edit: c => c["use_qk_norm"] = true))
            Assert.Contains("'use_qk_norm' is true with 2 layers", Assert.Throws<InvalidModelFileException>(() => new HfGgufInput(cohere.Folder)).Message);
        using (var cohere = new TinyHfFolder("cohere", edit: c => c["logit_scale"] = 0.0))
            Assert.Contains("'logit_scale' is 0", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(cohere.Folder)).Message);
        // A config that says qk_layernorm over a checkpoint without the per-head norms names the first one missing.
        using (var stablelm = new TinyHfFolder("stablelm"))
        {
            stablelm.Config["qk_layernorm"] = true;
            File.WriteAllText(Path.Combine(stablelm.Folder, "config.json"), stablelm.Config.ToJsonString());
            Assert.Contains("'model.layers.0.self_attn.q_layernorm.norms.0.weight' is missing", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(stablelm.Folder)).Message);
        }
        using (var minicpm3 = new TinyHfFolder("minicpm", edit: c => c["kv_lora_rank"] = 256))
            Assert.Contains("'kv_lora_rank' is set", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(minicpm3.Folder)).Message);
        using (var minicpm = new TinyHfFolder("minicpm", edit: c => c.Remove("scale_depth")))
            Assert.Contains("scale_depth", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(minicpm.Folder)).Message);
        using (var glm = new TinyHfFolder("glm4", edit: c => c["hidden_act"] = "gelu"))
            Assert.Contains("'hidden_act' is 'gelu'", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(glm.Folder)).Message);
        // llama.cpp's chatglm converter writes the base as 10000 × rope_ratio whatever rope_theta says.
        using (var glm = new TinyHfFolder("glm", edit: c => c["rope_theta"] = 500000.0))
            Assert.Contains("'rope_theta' is 500000", Assert.Throws<InvalidModelFileException>(() => new HfGgufInput(glm.Folder)).Message);
        using (var olmo = new TinyHfFolder("olmo", edit: c => c["clip_qkv"] = -1.0))
            Assert.Contains("'clip_qkv' is -1", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(olmo.Folder)).Message);
        // Minitron-8B's 48 heads of 128 are wider than its hidden size; llama.cpp's nemotron shapes its projections by hidden_size.
        using (var nemotron = new TinyHfFolder("nemotron", edit: c => c["head_dim"] = 8))
            Assert.Contains("llama.cpp's nemotron needs num_attention_heads × head_dim", Assert.Throws<InvalidModelFileException>(() => new HfGgufInput(nemotron.Folder)).Message);
        using (var exaone4 = new TinyHfFolder("exaone4"))
            Assert.Contains("'sliding_window' is set with 2 layers", Assert.Throws<InvalidModelFileException>(() => new HfGgufInput(exaone4.Folder)).Message);
        using (var exaone4 = new TinyHfFolder("exaone4", edit: c =>
               {
                   c["sliding_window_pattern"] = "LX";
                   c.Remove("layer_types");
               }))
            Assert.Contains("'sliding_window_pattern' is 'LX'", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(exaone4.Folder)).Message);
        // A dynamic NTK scaling without alpha: transformers grows the base past max_position_embeddings, which llama.cpp's converter drops.
        using (var hunyuan = new TinyHfFolder("hunyuan_v1_dense", edit: c => c["rope_scaling"] = new JsonObject { ["type"] = "dynamic", ["factor"] = 2.0 }))
            Assert.Contains("'rope_scaling' is DynamicNtk without an alpha", Assert.Throws<InvalidModelFileException>(() => new HfGgufInput(hunyuan.Folder)).Message);
        using (var ministral3 = new TinyHfFolder("mistral3", edit: c => c["text_config"]!["model_type"] = "ministral3"))
            Assert.Contains("'text_config.model_type' is 'ministral3'", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(ministral3.Folder)).Message);
        using (var apertus = new TinyHfFolder("apertus", edit: c => c["hidden_act"] = "relu2"))
            Assert.Contains("'hidden_act' is 'relu2'; llama.cpp's apertus runs xIELU only", Assert.Throws<InvalidModelFileException>(() => new HfGgufInput(apertus.Folder)).Message);
        var tempered = Path.Combine(_dir, "ministral3.gguf");
        SyntheticModelWriter.Build(SynthShape.Find("tiny-mistral3")!, SynthFileType.Find("F16")!, 1).Set("mistral3.attention.temperature_scale", 0.1f).Write(tempered);
        Assert.Contains("'mistral3.attention.temperature_scale' is set", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(tempered)).Message);
        var windowed = Path.Combine(_dir, "olmo3.gguf");
        SyntheticModelWriter.Build(SynthShape.Find("tiny-olmo2")!, SynthFileType.Find("F16")!, 1).Set("olmo2.attention.sliding_window", 4u).Write(windowed);
        Assert.Contains("sliding windows are not supported", Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(windowed)).Message);
    }
}
