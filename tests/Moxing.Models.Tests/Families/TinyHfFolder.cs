using System.Text.Json.Nodes;
using Moxing.Core.Formats.Safetensors;

namespace Moxing.Models.Tests.Families;

/// <summary>
/// A small Hugging Face checkpoint of one family (config.json and model.safetensors, float32) with random weights, laid out as
/// transformers names and shapes them: what the family tests load, convert and state again in <see cref="DenseReference"/>.
/// Norm weights are far from 1 and biases far from 0, so a norm or bias in the wrong slot changes the logits.
/// </summary>
public sealed partial class TinyHfFolder : IDisposable
{
    private const int Hidden = 64, Heads = 4, KvHeads = 2, HeadDim = 16, Vocab = 96;

    // SmolLM3's default NoPE layer is every 4th: four layers hold one.
    private static int LayerCount(string modelType) => modelType switch
    {
        "smollm3" or "llama4" or "llama4_text" => 4,
        "lfm2" or "lfm2_moe" => Lfm2Layers.Length,
        "gemma4" or "gemma4_text" => Gemma4Layers.Length,
        "gemma3n" or "gemma3n_text" => Gemma3nLayers.Length,
        "granitemoehybrid" => GraniteHybridLayers.Length,
        "nemotron_h" => NemotronHPattern.Length,
        "falcon_h1" => 3,
        "mamba" or "falcon_mamba" => MambaLayers,
        "jamba" => JambaLayers,
        "qwen3_next" or "qwen3_5" or "qwen3_5_moe" => Qwen35Layers.Length,
        _ => 2,
    };

    /// <summary>
    /// How a family renames the Llama checkpoint names this class writes (substring replacements, in order): EXAONE's GPT-2-style
    /// names, InternLM2's own; none for the others.
    /// </summary>
    internal static (string Llama, string Family)[] Renames(string modelType) => modelType switch
    {
        "exaone" =>
        [
            ("model.embed_tokens", "transformer.wte"), ("model.norm", "transformer.ln_f"), ("model.layers.", "transformer.h."),
            ("input_layernorm", "ln_1"), ("post_attention_layernorm", "ln_2"), ("self_attn.", "attn.attention."),
            ("attention.o_proj", "attention.out_proj"), ("mlp.gate_proj", "mlp.c_fc_0"), ("mlp.up_proj", "mlp.c_fc_1"), ("mlp.down_proj", "mlp.c_proj"),
        ],
        "internlm2" =>
        [
            ("model.embed_tokens", "model.tok_embeddings"), ("input_layernorm", "attention_norm"), ("post_attention_layernorm", "ffn_norm"),
            ("self_attn.o_proj", "attention.wo"), ("mlp.gate_proj", "feed_forward.w1"), ("mlp.up_proj", "feed_forward.w3"),
            ("mlp.down_proj", "feed_forward.w2"), ("lm_head", "output"),
        ],
        "llama4" => [("model.", "language_model.model."), ("lm_head", "language_model.lm_head")],
        // Mistral3ForConditionalGeneration (transformers ≥ 4.52): the language model under model.language_model.
        // Apertus's attention_layernorm / feedforward_layernorm (the longer name first: "attention_layernorm" is inside it).
        "apertus" => [("post_attention_layernorm", "feedforward_layernorm"), ("input_layernorm", "attention_layernorm")],
        // Ling's word_embeddings and attention.dense (its query_key_value is written fused).
        "bailing_moe" or "bailing_moe_v2" => [("model.embed_tokens", "model.word_embeddings"), ("self_attn.o_proj", "attention.dense")],
        "mistral3" => [("model.embed_tokens", "model.language_model.embed_tokens"), ("model.layers.", "model.language_model.layers."), ("model.norm", "model.language_model.norm")],
        // Gemma4ForConditionalGeneration (transformers ≥ 4.52 nesting): the text model under model.language_model.
        "gemma4" or "gemma3n" or "qwen2_5_vl" => [("model.", "model.language_model.")],
        _ => [],
    };

    // Phi-2's converter writes 4 × hidden as the MLP width; the others read intermediate_size.
    private static int FeedForward(string modelType) => modelType == "phi" ? 4 * Hidden : 96;

    /// <summary>The folder.</summary>
    public string Folder { get; } = Directory.CreateTempSubdirectory("moxing-family-").FullName;

    /// <summary>The config written.</summary>
    public JsonObject Config { get; }

    /// <summary>
    /// Writes a <paramref name="modelType"/> checkpoint (granite, olmo2, gemma, phi, starcoder2, falcon, exaone, smollm3, internlm2, cohere,
    /// cohere2, stablelm, glm4, glm, nemotron, olmo, minicpm, ernie4_5, llama4_text, llama4: the text config, seed_oss, exaone4, hunyuan_v1_dense, arcee, mistral3, apertus, lfm2, qwen3_5; granitemoe, lfm2_moe, nemotron_h, falcon_h1, mamba, falcon_mamba, jamba, granitemoeshared, granitemoehybrid, qwen3_next, qwen3_5_moe, phimoe, ernie4_5_moe, hunyuan_v1_moe; deepseek_v2, deepseek_v3, glm4_moe, dots1, bailing_moe, bailing_moe_v2; gpt_neox, bloom, mpt, gpt_bigcode), its config edited by <paramref name="edit"/> (Cohere's use_qk_norm and StableLM's qk_layernorm add per-head q/k norms).
    /// </summary>
    public TinyHfFolder(string modelType, int seed = 1, Action<JsonObject>? edit = null)
    {
        Config = BaseConfig(modelType);
        edit?.Invoke(Config);
        File.WriteAllText(Path.Combine(Folder, "config.json"), (modelType switch { "gemma4" => Gemma4Wrapped(Config), "gemma3n" => Gemma3nWrapped(Config), "qwen2_5_vl" => Qwen2VlWrapped(Config), _ => Llama4Wrapped(modelType, Config) }).ToJsonString());
        var random = new Random(seed);
        var writer = new SafetensorsWriter();
        var renames = Renames(modelType);
        void Add(string name, float mean, float spread, params long[] shape)
        {
            name = renames.Aggregate(name, (n, r) => n.Replace(r.Llama, r.Family, StringComparison.Ordinal));
            var values = new float[shape.Aggregate(1L, (a, d) => a * d)];
            for (var i = 0; i < values.Length; i++) values[i] = mean + (random.NextSingle() - 0.5f) * 2 * spread;
            writer.Add(name, shape, values);
        }
        // Cohere's LayerNorms have no bias; StableLM's q/k/v biases follow use_qkv_bias, GLM-4's attention_bias, and neither has
        // an output-projection bias; OLMo's LayerNorms have no tensors at all.
        var cohere = modelType is "cohere" or "cohere2";
        var layerNorm = modelType is "phi" or "starcoder2" or "falcon" or "stablelm" or "phimoe" or "nemotron";
        var glm = modelType is "glm4" or "glm" or "glm4_moe";
        // ERNIE 4.5's use_bias puts a bias on every projection, the MLP's included.
        var ernieBiases = modelType is "ernie4_5" or "ernie4_5_moe" && (bool?)Config["use_bias"] == true;
        // Seed-OSS's attention_bias is q/k/v's alone; attention_out_bias and mlp_bias add the others.
        var seedOss = modelType == "seed_oss";
        var biases = modelType is "phi" or "starcoder2" || (bool?)Config["attention_bias"] == true && !glm && !seedOss || ernieBiases;
        var qkvBiases = biases || (bool?)Config["use_qkv_bias"] == true || (glm || seedOss) && (bool?)Config["attention_bias"] == true || IsQwen2Vl(modelType);
        var outputBias = biases || seedOss && (bool?)Config["attention_out_bias"] == true;
        var mlpBiases = ernieBiases || seedOss && (bool?)Config["mlp_bias"] == true;
        var norms = modelType != "olmo";
        var parallel = modelType is "phi" || cohere || (bool?)Config["use_parallel_residual"] == true;
        // Gemma's and Nemotron's weights are offsets from 1 (their norms multiply by 1 + w).
        var normMean = modelType is "gemma" or "nemotron" ? 0f : 1f;
        void Norm(string name, long size)
        {
            if (!norms) return;
            Add(name + ".weight", normMean, 0.4f, size);
            if (layerNorm) Add(name + ".bias", 0f, 0.3f, size);
        }
        void Linear(string name, long rows, long cols, bool bias)
        {
            Add(name + ".weight", 0f, 1.7f / MathF.Sqrt(cols), rows, cols);
            if (bias) Add(name + ".bias", 0f, 0.2f, rows);
        }
        const int q = Heads * HeadDim;
        var kv = ((int?)Config["num_key_value_heads"] ?? KvHeads) * HeadDim;
        var ff = FeedForward(modelType);
        if (IsQwen35(modelType))
        {
            File.WriteAllText(Path.Combine(Folder, "config.json"), Qwen35Wrapped(modelType, Config).ToJsonString());
            WriteQwen35(Config, Add, Linear);
            writer.Write(Path.Combine(Folder, "model.safetensors"));
            return;
        }
        // Families whose layout is their own: a writer each.
        Action<JsonObject, Action<string, float, float, long[]>, Action<string, long>, Action<string, long, long, bool>>? own = modelType switch
        {
            "granitemoehybrid" => WriteGraniteHybrid,
            "lfm2" or "lfm2_moe" => WriteLfm2,
            "falcon" => WriteFalcon,
            "nemotron_h" => WriteNemotronH,
            "falcon_h1" => WriteFalconH1,
            "mamba" or "falcon_mamba" => WriteMamba,
            "jamba" => WriteJamba,
            "gemma4" or "gemma4_text" => WriteGemma4,
            "gemma3n" or "gemma3n_text" => WriteGemma3n,
            _ when IsClassic(modelType) => WriteClassic,
            _ => null,
        };
        if (own != null)
        {
            own(Config, Add, Norm, Linear);
            // Gemma 4's vision tower, which the language model leaves out.
            if (modelType is "gemma4" or "gemma3n") writer.Add("model.vision_tower.encoder.layers.0.self_attn.q_proj.linear.weight", [8, 8], new float[64]);
            // Gemma 3n's audio tower and its embedders of the other modalities, left out too.
            if (modelType == "gemma3n")
                foreach (var tower in new[] { "model.audio_tower.conformer.0.ffw_layer_start.pre_layer_norm.weight", "model.embed_audio.embedding.weight", "model.embed_vision.embedding.weight" })
                    writer.Add(tower, [8], new float[8]);
            writer.Write(Path.Combine(Folder, "model.safetensors"));
            return;
        }
        Add("model.embed_tokens.weight", 0f, modelType == "gemma" ? 0.15f : 1f, Vocab, Hidden);
        for (var l = 0; l < LayerCount(modelType); l++)
        {
            var p = $"model.layers.{l}.";
            if (modelType is not ("olmo2" or "exaone4")) Norm(p + "input_layernorm", Hidden);
            // InternLM2's wqkv: per key/value group its query heads, then its key head and value head.
            if (modelType == "internlm2") Linear(p + "attention.wqkv", q + 2 * kv, Hidden, false);
            else if (IsDeepSeek(modelType)) WriteLatentAttention(Config, p, Add);
            // BailingMoeAttention's query_key_value: all query heads, then the key heads, then the value heads.
            else if (modelType is "bailing_moe" or "bailing_moe_v2") Linear(p + "attention.query_key_value", q + 2 * kv, Hidden, false);
            else
            {
                Linear(p + "self_attn.q_proj", q, Hidden, qkvBiases);
                Linear(p + "self_attn.k_proj", kv, Hidden, qkvBiases);
                Linear(p + "self_attn.v_proj", kv, Hidden, qkvBiases);
            }
            if (!IsDeepSeek(modelType)) Linear(p + (modelType == "phi" ? "self_attn.dense" : "self_attn.o_proj"), Hidden, q, outputBias);
            // BailingMoeV2Attention's query_layernorm / key_layernorm, RMSNorms of head_dim before the rotation.
            if (modelType == "bailing_moe_v2")
            {
                Norm(p + "attention.query_layernorm", HeadDim);
                Norm(p + "attention.key_layernorm", HeadDim);
            }
            // HunYuanDenseV1Attention: an RMSNorm of head_dim on each query and key head, after the rotation.
            if (modelType is "hunyuan_v1_dense" or "hunyuan_v1_moe")
            {
                Norm(p + "self_attn.query_layernorm", HeadDim);
                Norm(p + "self_attn.key_layernorm", HeadDim);
            }
            // Exaone4Attention and ApertusAttention: an RMSNorm of head_dim on each query and key head; Olmo2DecoderLayer's norm after the MLP.
            if (modelType is "exaone4" or "apertus" or "dots1" || (bool?)Config["use_qk_norm"] == true && modelType == "glm4_moe")
            {
                Norm(p + "self_attn.q_norm", HeadDim);
                Norm(p + "self_attn.k_norm", HeadDim);
            }
            if (modelType == "exaone4") Norm(p + "post_feedforward_layernorm", Hidden);
            if (modelType == "olmo2")
            {
                Norm(p + "self_attn.q_norm", q);
                Norm(p + "self_attn.k_norm", kv);
                Norm(p + "post_feedforward_layernorm", Hidden);
            }
            // CohereLayerNorm((heads, head_dim)): one weight row per head; StableLmLayerNormPerHead: one LayerNorm per head.
            if (cohere && (bool?)Config["use_qk_norm"] == true)
            {
                Add(p + "self_attn.q_norm.weight", 1f, 0.4f, Heads, HeadDim);
                Add(p + "self_attn.k_norm.weight", 1f, 0.4f, KvHeads, HeadDim);
            }
            if ((bool?)Config["qk_layernorm"] == true)
            {
                for (var h = 0; h < Heads; h++) Add(p + $"self_attn.q_layernorm.norms.{h}.weight", 1f, 0.4f, HeadDim);
                for (var h = 0; h < KvHeads; h++) Add(p + $"self_attn.k_layernorm.norms.{h}.weight", 1f, 0.4f, HeadDim);
            }
            if (!parallel) Norm(p + "post_attention_layernorm", Hidden);
            switch (modelType)
            {
                case "phi":
                    Linear(p + "mlp.fc1", ff, Hidden, true);
                    Linear(p + "mlp.fc2", Hidden, ff, true);
                    break;
                case "starcoder2":
                    Linear(p + "mlp.c_fc", ff, Hidden, true);
                    Linear(p + "mlp.c_proj", Hidden, ff, true);
                    break;
                case "granitemoe" or "granitemoeshared":
                    WriteGraniteMoe(Config, p, Add);
                    break;
                case "phimoe":
                    WriteMixtralExperts(Config, p + "block_sparse_moe.", Add);
                    break;
                case "llama4" or "llama4_text":
                    WriteLlama4FeedForward(Config, p, l, Add);
                    break;
                case "hunyuan_v1_moe":
                    WriteHunyuanMoe(Config, p, Add);
                    break;
                case "ernie4_5_moe" when ErnieSparse(Config, l):
                    WriteErnieMoe(Config, p, Add);
                    break;
                case "deepseek_v2" or "deepseek_v3" or "glm4_moe" or "dots1" or "bailing_moe" or "bailing_moe_v2" when l >= (int)Config["first_k_dense_replace"]!:
                    WriteDeepSeekMoe(Config, p, Add);
                    break;
                case "glm4" or "glm":
                    // GlmMLP: one gate_up_proj, gate rows first; GLM-4 norms the attention and MLP outputs before their residual adds.
                    Linear(p + "mlp.gate_up_proj", 2 * ff, Hidden, false);
                    Linear(p + "mlp.down_proj", Hidden, ff, false);
                    if (modelType == "glm4")
                    {
                        Norm(p + "post_self_attn_layernorm", Hidden);
                        Norm(p + "post_mlp_layernorm", Hidden);
                    }
                    break;
                case "nemotron" or "arcee":
                    Linear(p + "mlp.up_proj", ff, Hidden, false);
                    Linear(p + "mlp.down_proj", Hidden, ff, false);
                    break;
                case "apertus":
                    // ApertusMLP: down(xIELU(up x)); XIELUActivation's alpha_p and alpha_n (before their softplus: about 0.8 and
                    // 0.3 after it), beta and eps, differing by layer.
                    Linear(p + "mlp.up_proj", ff, Hidden, false);
                    Linear(p + "mlp.down_proj", Hidden, ff, false);
                    Add(p + "mlp.act_fn.alpha_p", 0.2f, 0.3f, 1);
                    Add(p + "mlp.act_fn.alpha_n", -1f, 0.3f, 1);
                    Add(p + "mlp.act_fn.beta", 0.5f, 0.1f, 1);
                    Add(p + "mlp.act_fn.eps", -1e-6f, 0f, 1);
                    break;
                default:
                    Linear(p + "mlp.gate_proj", ff, Hidden, mlpBiases);
                    Linear(p + "mlp.up_proj", ff, Hidden, mlpBiases);
                    Linear(p + "mlp.down_proj", Hidden, ff, mlpBiases);
                    break;
            }
        }
        // Mistral 3's vision tower and projector, which the language model leaves out.
        if (modelType == "mistral3")
        {
            Linear("model.vision_tower.transformer.layers.0.attention.q_proj", 8, 8, false);
            Linear("model.multi_modal_projector.linear_1", 8, 8, true);
        }
        // ERNIE-4.5-21B-A3B-PT ships a multi-token-prediction block that transformers and llama.cpp's converter leave out.
        if (modelType == "ernie4_5_moe") Linear("model.mtp_linear_proj.0", Hidden, 2 * Hidden, false);
        if ((int?)Config["num_nextn_predict_layers"] > 0) WriteNextNLayer(Config, Add);
        // Llama4ForConditionalGeneration's vision model and projector, which the text model leaves out.
        if (modelType == "llama4")
        {
            writer.Add("vision_model.patch_embedding.linear.weight", [8, 8], new float[64]);
            writer.Add("multi_modal_projector.linear_1.weight", [Hidden, 8], new float[8 * Hidden]);
        }
        Norm(modelType == "phi" ? "model.final_layernorm" : "model.norm", Hidden);
        if (IsQwen2Vl(modelType)) WriteQwen2VlTower(modelType, writer);
        if ((bool?)Config["tie_word_embeddings"] != true) Linear("lm_head", Vocab, Hidden, modelType == "phi" || (bool?)Config["lm_head_bias"] == true);
        writer.Write(Path.Combine(Folder, "model.safetensors"));
    }

    // Falcon's names and its fused query_key_value of (heads + 2·kv) head rows, as FalconAttention splits it: one key/value head
    // unless the config has the new decoder architecture; ln_attn and ln_mlp there, else one input_layernorm.
    private static void WriteFalcon(JsonObject c, Action<string, float, float, long[]> add, Action<string, long> norm, Action<string, long, long, bool> linear)
    {
        var newArchitecture = (bool?)c["new_decoder_architecture"] == true || (string?)c["model_type"] == "RefinedWeb";
        var kvHeads = newArchitecture ? (int)(c["num_kv_heads"] ?? c["n_head_kv"])! : 1;
        add("transformer.word_embeddings.weight", 0f, 1f, [Vocab, Hidden]);
        for (var l = 0; l < LayerCount("falcon"); l++)
        {
            var p = $"transformer.h.{l}.";
            if (newArchitecture)
            {
                norm(p + "ln_attn", Hidden);
                norm(p + "ln_mlp", Hidden);
            }
            else norm(p + "input_layernorm", Hidden);
            linear(p + "self_attention.query_key_value", (Heads + 2 * kvHeads) * HeadDim, Hidden, false);
            linear(p + "self_attention.dense", Hidden, Heads * HeadDim, false);
            linear(p + "mlp.dense_h_to_4h", 4 * Hidden, Hidden, false);
            linear(p + "mlp.dense_4h_to_h", Hidden, 4 * Hidden, false);
        }
        norm("transformer.ln_f", Hidden);
        linear("lm_head", Vocab, Hidden, false);
    }

    // Each family's config with the keys its transformers configuration reads (and its published checkpoints set).
    private static JsonObject BaseConfig(string modelType)
    {
        if (IsClassic(modelType)) return ClassicConfig(modelType);
        var c = new JsonObject
        {
            ["model_type"] = modelType,
            ["vocab_size"] = Vocab,
            ["hidden_size"] = Hidden,
            ["intermediate_size"] = FeedForward(modelType),
            ["num_hidden_layers"] = LayerCount(modelType),
            ["num_attention_heads"] = Heads,
            ["num_key_value_heads"] = KvHeads,
            ["max_position_embeddings"] = 64,
            ["rope_theta"] = 10000.0,
        };
        switch (modelType)
        {
            case "lfm2":
                Lfm2Config(c);
                break;
            case "lfm2_moe":
                Lfm2MoeConfig(c);
                break;
            case "nemotron_h":
                NemotronHConfig(c);
                break;
            case "falcon_h1":
                FalconH1Config(c);
                break;
            case "mamba" or "falcon_mamba":
                MambaConfig(c);
                break;
            case "jamba":
                JambaConfig(c);
                break;
            case "gemma4" or "gemma4_text":
                Gemma4Config(c);
                break;
            case "gemma3n" or "gemma3n_text":
                Gemma3nConfig(c);
                break;
            case "granitemoehybrid":
                GraniteHybridConfig(c);
                break;
            case "qwen3_next" or "qwen3_5" or "qwen3_5_moe":
                Qwen35Config(c);
                break;
            case "qwen2_vl" or "qwen2_5_vl":
                Qwen2VlConfig(c);
                break;
            case "granite":
                // granite-3.x's multipliers, the attention one on this head size's 1/16 scale.
                c["rms_norm_eps"] = 1e-5;
                c["embedding_multiplier"] = 12.0;
                c["residual_multiplier"] = 0.22;
                c["attention_multiplier"] = 0.03;
                c["logits_scaling"] = 8.0;
                c["tie_word_embeddings"] = true;
                break;
            case "olmo2":
                c["rms_norm_eps"] = 1e-6;
                c["rope_theta"] = 500000.0;
                c["tie_word_embeddings"] = false;
                break;
            case "gemma":
                c["rms_norm_eps"] = 1e-6;
                c["head_dim"] = HeadDim;
                c["hidden_act"] = "gelu";
                c["hidden_activation"] = "gelu_pytorch_tanh";
                c["tie_word_embeddings"] = true;
                break;
            case "phi":
                // Phi-2's 0.4 partial rotary factor: 6 of the 16 dimensions of each head rotate.
                c["layer_norm_eps"] = 1e-5;
                c["hidden_act"] = "gelu_new";
                c["partial_rotary_factor"] = 0.4;
                c["tie_word_embeddings"] = false;
                break;
            case "cohere":
                // command-r's logit scale, rope base and untouched defaults (no q/k norms, no attention biases).
                c["layer_norm_eps"] = 1e-5;
                c["logit_scale"] = 0.0625;
                c["rope_theta"] = 8000000.0;
                c["tie_word_embeddings"] = true;
                break;
            case "cohere2":
                // command-r7b's logit scale and base; a pattern of 2 so the two layers are one sliding, one full (and unrotated).
                c["layer_norm_eps"] = 1e-5;
                c["logit_scale"] = 0.25;
                c["rope_theta"] = 50000.0;
                c["sliding_window"] = 5;
                c["sliding_window_pattern"] = 2;
                c["tie_word_embeddings"] = true;
                break;
            case "stablelm":
                // stablelm-2-1_6b: a quarter of each head rotates, q/k/v biases, sequential residuals, an untied head.
                c["layer_norm_eps"] = 1e-5;
                c["partial_rotary_factor"] = 0.25;
                c["use_qkv_bias"] = true;
                c["use_parallel_residual"] = false;
                c["tie_word_embeddings"] = false;
                break;
            case "glm4" or "glm":
                // GLM-4-9B-0414 and glm-4-9b-chat-hf: half of each head rotates (interleaved), q/k/v biases, an untied head.
                c["head_dim"] = HeadDim;
                c["rms_norm_eps"] = 1e-5;
                c["partial_rotary_factor"] = 0.5;
                c["attention_bias"] = true;
                c["hidden_act"] = "silu";
                c["tie_word_embeddings"] = false;
                break;
            case "nemotron":
                // Nemotron-Mini-4B: LayerNorm1P, relu², half of each head rotated, no biases, an untied head.
                c["head_dim"] = HeadDim;
                c["norm_eps"] = 1e-5;
                c["partial_rotary_factor"] = 0.5;
                c["hidden_act"] = "relu2";
                c["attention_bias"] = false;
                c["mlp_bias"] = false;
                c["tie_word_embeddings"] = false;
                break;
            case "olmo":
                // OLMo-1B-hf's tied head; a clip_qkv (OLMo-7B-0424 has 8) that bites on these weights.
                c["clip_qkv"] = 1.0;
                c["attention_bias"] = false;
                c["tie_word_embeddings"] = true;
                break;
            case "minicpm":
                // MiniCPM-2B's scale_emb 12; scale_depth 0.3 scales these 2 layers' branches by 0.21, as 1.4 does MiniCPM-2B's 40
                // (0.22); dim_model_base 16 divides the logits by 4 (MiniCPM-2B's 2304 / 256 by 9).
                c["rms_norm_eps"] = 1e-5;
                c["scale_emb"] = 12;
                c["scale_depth"] = 0.3;
                c["dim_model_base"] = 16;
                c["tie_word_embeddings"] = true;
                break;
            case "ernie4_5":
                // ERNIE-4.5-0.3B-PT: head_dim given, interleaved RoPE on whole heads, base 500000, no biases, a tied head.
                c["head_dim"] = HeadDim;
                c["rms_norm_eps"] = 1e-5;
                c["rope_theta"] = 500000.0;
                c["hidden_act"] = "silu";
                c["use_bias"] = false;
                c["tie_word_embeddings"] = true;
                break;
            case "exaone4":
                // EXAONE-4.0-32B's hybrid attention on two layers ("LG"): the first slides over 5 positions and rotates, the second
                // attends in full without RoPE; llama3 RoPE scaling (factor 16; an original context of 64 rather than 8192, so that
                // pairs turning within 13 positions are scaled), head_dim given, an untied head.
                c["head_dim"] = HeadDim;
                c["rms_norm_eps"] = 1e-5;
                c["rope_theta"] = 1000000.0;
                c["rope_scaling"] = new JsonObject
                {
                    ["rope_type"] = "llama3",
                    ["factor"] = 16.0,
                    ["low_freq_factor"] = 1.0,
                    ["high_freq_factor"] = 4.0,
                    ["original_max_position_embeddings"] = 64,
                };
                c["sliding_window"] = 5;
                c["sliding_window_pattern"] = "LG";
                c["layer_types"] = new JsonArray("sliding_attention", "full_attention");
                c["hidden_act"] = "silu";
                c["tie_word_embeddings"] = false;
                break;
            case "hunyuan_v1_dense":
                // Hunyuan-0.5B-Instruct: head_dim given, NTK-alpha RoPE (dynamic, alpha 1000: base 10000 · 1000^(16/14) for these
                // heads), q/k norms, no biases, a tied head.
                c["head_dim"] = HeadDim;
                c["rms_norm_eps"] = 1e-5;
                c["rope_theta"] = 10000.0;
                c["rope_scaling"] = new JsonObject { ["type"] = "dynamic", ["alpha"] = 1000.0, ["factor"] = 1.0, ["beta_fast"] = 32, ["beta_slow"] = 1 };
                c["use_qk_norm"] = true;
                c["attention_bias"] = false;
                c["hidden_act"] = "silu";
                c["tie_word_embeddings"] = true;
                break;
            case "arcee":
                // AFM-4.5B: an ungated relu² MLP, no biases, an untied head (its YaRN RoPE is left to the synthetic files).
                c["rms_norm_eps"] = 1e-5;
                c["hidden_act"] = "relu2";
                c["attention_bias"] = false;
                c["mlp_bias"] = false;
                c["tie_word_embeddings"] = false;
                break;
            case "mistral3":
                // Mistral-Small-3.1's layout: the language model's config (mistral: base 1e9, no window, head_dim given) under
                // text_config, a vision config beside it, an untied head.
                var text = new JsonObject();
                foreach (var (key, value) in c.ToArray()) text[key] = value?.DeepClone();
                text["model_type"] = "mistral";
                text["head_dim"] = HeadDim;
                text["rms_norm_eps"] = 1e-5;
                text["rope_theta"] = 1000000000.0;
                text["sliding_window"] = null;
                text["tie_word_embeddings"] = false;
                c.Clear();
                c["model_type"] = "mistral3";
                c["text_config"] = text;
                c["vision_config"] = new JsonObject { ["model_type"] = "pixtral", ["hidden_size"] = 8 };
                c["image_token_index"] = 10;
                break;
            case "apertus":
                // Apertus-8B: xIELU, q/k norms, llama3 RoPE of base 12e6 (an original context of 64 so that it bites within the
                // prompt), an untied head.
                c["rms_norm_eps"] = 1e-5;
                c["hidden_act"] = "xielu";
                c["rope_theta"] = 12000000.0;
                c["rope_scaling"] = new JsonObject
                {
                    ["rope_type"] = "llama3",
                    ["factor"] = 8.0,
                    ["low_freq_factor"] = 1.0,
                    ["high_freq_factor"] = 4.0,
                    ["original_max_position_embeddings"] = 64,
                };
                c["attention_bias"] = false;
                c["tie_word_embeddings"] = false;
                break;
            case "seed_oss":
                // Seed-OSS-36B: head_dim given, q/k/v biases without an output-projection or MLP bias, base 1e7, an untied head.
                c["head_dim"] = HeadDim;
                c["rms_norm_eps"] = 1e-6;
                c["rope_theta"] = 10000000.0;
                c["hidden_act"] = "silu";
                c["attention_bias"] = true;
                c["attention_out_bias"] = false;
                c["mlp_bias"] = false;
                c["tie_word_embeddings"] = false;
                break;
            case "starcoder2":
                c["norm_epsilon"] = 1e-5;
                c["hidden_act"] = "gelu_pytorch_tanh";
                c["use_bias"] = true;
                c["sliding_window"] = 5;
                c["rope_theta"] = 999999.4420358813;
                c["tie_word_embeddings"] = true;
                break;
            case "exaone":
                // EXAONE 3.5's config keys: num_layers, layer_norm_epsilon, activation_function.
                c["num_layers"] = c["num_hidden_layers"]!.DeepClone();
                c.Remove("num_hidden_layers");
                c["layer_norm_epsilon"] = 1e-5;
                c["activation_function"] = "silu";
                c["rope_theta"] = 1000000.0;
                c["tie_word_embeddings"] = true;
                break;
            case "smollm3":
                c["rms_norm_eps"] = 1e-6;
                c["rope_theta"] = 5000000.0;
                c["no_rope_layer_interval"] = 4;
                c["use_sliding_window"] = false;
                c["tie_word_embeddings"] = true;
                break;
            case "internlm2":
                c["rms_norm_eps"] = 1e-5;
                c["rope_theta"] = 1000000.0;
                c["bias"] = false;
                c["tie_word_embeddings"] = false;
                break;
            case "falcon":
                // falcon-40b's config (new decoder architecture: grouped query_key_value, ln_attn/ln_mlp); the exact GELU.
                c.Remove("num_key_value_heads");
                c.Remove("intermediate_size");
                c["num_kv_heads"] = KvHeads;
                c["new_decoder_architecture"] = true;
                c["parallel_attn"] = true;
                c["bias"] = false;
                c["alibi"] = false;
                c["layer_norm_epsilon"] = 1e-5;
                c["tie_word_embeddings"] = false;
                break;
            default:
                if (!SetMoeConfig(modelType, c) && !SetLlama4Config(modelType, c) && !SetDeepSeekConfig(modelType, c) && !SetRoutedConfig(modelType, c) && !SetBailingConfig(modelType, c)) throw new ArgumentException($"no tiny checkpoint for '{modelType}'", nameof(modelType));
                break;
        }
        return c;
    }

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
