using System.Globalization;
using Moxing.Core;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;
using Moxing.Models.Families;
using Moxing.Text.Tokenization.Gguf;

namespace Moxing.Models.Conversion;

/// <summary>The GGUF metadata llama.cpp's convert_hf_to_gguf.py writes for a decoder folder: general.*, {arch}.* hyper-parameters and the tokenizer.</summary>
public static partial class HfGgufMetadata
{
    /// <summary>The GGUF architecture name of HF <paramref name="modelType"/> (Mistral and Mixtral are written as llama), or null when it cannot be converted.</summary>
    public static string? Architecture(string modelType) => modelType switch
    {
        "llama" or "mistral" or "mixtral" => "llama",
        "qwen2" or "qwen3" or "gpt2" or "phi3" or "gemma2" or "olmoe" or "granite" or "olmo2" or "gemma" or "starcoder2" => modelType,
        "phi" => "phi2",
        "cohere" => "command-r",
        "cohere2" or "stablelm" => modelType,
        "gpt_oss" => "gpt-oss",
        "qwen2_moe" or "qwen3_moe" => modelType.Replace("_", "", StringComparison.Ordinal),
        "gemma3_text" or "gemma3" => "gemma3",
        "gemma4_text" or "gemma4" => "gemma4",
        "gemma3n_text" or "gemma3n" => "gemma3n",
        "falcon" or "RefinedWeb" or "RefinedWebModel" => "falcon",
        "exaone" or "smollm3" or "internlm2" => modelType,
        "granitemoe" or "granitemoeshared" => "granitemoe",
        "phimoe" => modelType,
        "glm4" or "nemotron" or "olmo" or "minicpm" => modelType,
        "glm" => "chatglm",
        "ernie4_5" => modelType,
        "ernie4_5_moe" => "ernie4_5-moe",
        "llama4" or "llama4_text" => "llama4",
        "deepseek_v2" or "deepseek_v3" or "kimi_k2" => "deepseek2",
        "seed_oss" or "exaone4" => modelType,
        "hunyuan_v1_dense" => "hunyuan-dense",
        "hunyuan_v1_moe" => "hunyuan-moe",
        "bailing_moe" => "bailingmoe",
        "bailing_moe_v2" => "bailingmoe2",
        "arcee" or "mistral3" or "apertus" or "lfm2" => modelType,
        "granitemoehybrid" => "granitehybrid",
        "glm4_moe" => "glm4moe",
        "lfm2_moe" => "lfm2moe",
        "nemotron_h" => modelType,
        "falcon_h1" => "falcon-h1",
        "mamba" or "falcon_mamba" => "mamba",
        "jamba" => modelType,
        "dots1" => modelType,
        "qwen3_next" => "qwen3next",
        "qwen3_5" or "qwen3_5_text" => "qwen35",
        "qwen3_5_moe" or "qwen3_5_moe_text" => "qwen35moe",
        "qwen2_vl" or "qwen2_5_vl" => "qwen2vl",
        "gpt_neox" => "gptneox",
        "bloom" or "mpt" => modelType,
        "gpt_bigcode" => "starcoder",
        _ => null,
    };

    /// <summary>The model types <see cref="Architecture"/> converts, for error messages.</summary>
    public static string ConvertibleList => "llama, mistral, mixtral, granite, olmo2, qwen2, qwen3, qwen2_moe, qwen3_moe, olmoe, gpt2, phi, phi3, gemma, gemma2, gemma3_text, gemma3, gemma4_text, gemma4, gemma3n_text, gemma3n, starcoder2, gpt_oss, falcon, exaone, smollm3, internlm2, cohere, cohere2, stablelm, glm4, glm, nemotron, olmo, minicpm, granitemoe, granitemoeshared, phimoe, ernie4_5, ernie4_5_moe, llama4, llama4_text, deepseek_v2, deepseek_v3, kimi_k2, seed_oss, exaone4, hunyuan_v1_dense, arcee, mistral3, apertus, glm4_moe, dots1, hunyuan_v1_moe, bailing_moe, bailing_moe_v2, lfm2, granitemoehybrid, lfm2_moe, nemotron_h, falcon_h1, mamba, falcon_mamba, jamba, qwen3_next, qwen3_5, qwen3_5_text, qwen3_5_moe, qwen3_5_moe_text, qwen2_vl, qwen2_5_vl, gpt_neox, bloom, mpt, gpt_bigcode";

    /// <summary>Architectures convert_hf_to_gguf.py writes through LlamaModel: vocab_size and rope.dimension_count written, Q/K rows permuted (but Llama 4's).</summary>
    public static bool LlamaConverted(string architecture) => architecture is "llama" or "granite" or "granitemoe" or "granitehybrid" or "smollm3" or "llama4" or "arcee" or "mistral3"
        or "nemotron_h" or "nemotron_h_moe";

    /// <summary>
    /// Architectures whose Q/K rows the converter permutes for llama.cpp's interleaved rotation (LlamaModel's, InternLM2Model's own
    /// split of wqkv, OlmoModel's, MiniCPMModel's and BailingMoeModel's copies of LlamaModel.permute).
    /// </summary>
    public static bool PermutesQk(string architecture) => LlamaConverted(architecture) && architecture != "llama4" || architecture is "internlm2" or "olmo" or "minicpm" or "bailingmoe";

    /// <summary>The keys for <paramref name="folder"/>, whose config.json <paramref name="config"/> reads as <paramref name="options"/>.</summary>
    public static Dictionary<string, object> Build(string folder, HfConfig config, DecoderOptions options, string architecture)
    {
        var o = options;
        // Mistral3Model converts the language model of its text_config (as Ministral3Model, a LlamaModel).
        if (architecture == "mistral3") config = Mistral3Family.TextConfig(config);
        // Qwen3_5TextModel converts the text model of a Qwen3_5ForConditionalGeneration's text_config.
        if (architecture is "qwen35" or "qwen35moe") config = Qwen35Family.TextConfig(config);
        // Qwen2VLModel converts the language model (of the text_config when the config nests one).
        if (architecture == "qwen2vl") config = Qwen2VlFamily.TextConfig(config);
        var m = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["general.architecture"] = architecture,
            ["general.type"] = "model",
            ["general.name"] = DisplayName(folder),
        };
        void Arch(string key, object value) => m[$"{architecture}.{key}"] = value;
        Arch("block_count", (uint)o.LayerCount);
        Arch("context_length", (uint)o.MaxContext);
        Arch("embedding_length", (uint)o.HiddenSize);
        Arch("feed_forward_length", (uint)o.IntermediateSize);
        Arch("attention.head_count", (uint)o.HeadCount);
        // GPT2Model, GPTNeoXModel, MPTModel (without kv_n_heads) and MambaModel write no key/value head count; every other converter does.
        if (architecture is not ("gpt2" or "gptneox" or "mpt" or "mamba")) Arch("attention.head_count_kv", (uint)o.KvHeadCount);
        // PhiMoeModel writes its LayerNorms' epsilon under the RMS key (Phi3MiniModel's), which llama.cpp's phimoe reads.
        Arch(o.Norm == NormKind.Layer && architecture != "phimoe" ? "attention.layer_norm_epsilon" : "attention.layer_norm_rms_epsilon", o.NormEps);
        switch (architecture)
        {
            case "phi3" or "phimoe":
                AddPhi3(m, o, config, architecture);
                break;
            case "gemma":
                AddGemma(m, o);
                break;
            case "phi2":
                AddPhi2(m, o, config);
                break;
            case "gemma2":
                AddGemma2(m, o, config);
                break;
            case "gemma3":
                AddGemma3(m, o, Gemma3Family.TextConfig(config));
                break;
            case "gemma4":
                AddGemma4(m, o, Gemma4Family.TextConfig(config));
                break;
            case "gemma3n":
                AddGemma3n(m, o, Gemma3nFamily.TextConfig(config));
                break;
            case "falcon":
                AddFalcon(m, o, config);
                break;
            case "gptneox" or "bloom" or "mpt" or "starcoder":
                AddClassic(m, o, config, architecture);
                break;
            case "stablelm":
                AddStableLm(m, o, config);
                break;
            case "nemotron":
                AddNemotron(m, o, config);
                break;
            case "chatglm":
                AddChatGlm(m, o, config);
                break;
            case "llama4":
                AddLlama4(m, o, Llama4Family.TextConfig(config));
                break;
            case "deepseek2":
                AddDeepSeek(m, o, config);
                break;
            case "mamba" or "jamba":
                AddMamba(m, o, config, architecture);
                break;
            case "qwen3next" or "qwen35" or "qwen35moe":
                AddRope(m, architecture, o.Rope!, config);
                AddQwen35(m, o, config, architecture);
                break;
            default:
                if (config.Has("head_dim") || o.HeadDim * o.HeadCount != o.HiddenSize)
                {
                    Arch("attention.key_length", (uint)o.HeadDim);
                    Arch("attention.value_length", (uint)o.HeadDim);
                }
                if (o.Rope is { } rope) AddRope(m, architecture, rope, config);
                break;
        }
        if (architecture is "glm4moe" or "dots1" or "bailingmoe2") AddRoutedExperts(m, o, architecture, config);
        else if (architecture == "bailingmoe") AddBailing(m, o, config);
        else if (o.Moe is { } moe && architecture is not ("deepseek2" or "lfm2moe" or "nemotron_h_moe" or "gemma4" or "jamba")) AddExperts(m, moe, architecture, config);
        if (architecture == "bailingmoe2") AddBailingV2(m, o, config);
        if (architecture == "seed_oss") RefuseSeedOssBiases(config);
        if (architecture == "dots1" && o.KvHeadCount != o.HeadCount)
            throw config.Error("num_key_value_heads", $"is {o.KvHeadCount}; llama.cpp's dots1 gives every one of the {o.HeadCount} heads its keys and values");
        if (architecture == "dots1" && o.SlidingWindows.Any(w => w > 0))
            throw config.Error("max_window_layers", $"is {config.GetInt("max_window_layers")} with a sliding_window; llama.cpp's dots1 attends in full on every layer");
        if (architecture == "exaone4") AddExaone4(m, o, config);
        if (architecture is "hunyuan-dense" or "hunyuan-moe") AddHunyuan(m, o, config, architecture);
        // HunYuanMoEModel: the shared MLPs' count (transformers and llama.cpp run one of intermediate_size whatever it says).
        if (architecture == "hunyuan-moe") m["hunyuan-moe.expert_shared_count"] = (uint)(config.GetIntList("num_shared_expert") is [var shared, ..] ? shared : 1);
        if (architecture == "apertus") AddApertus(m, o, config);
        if (architecture is "lfm2" or "lfm2moe") AddLfm2(m, o, config, architecture);
        // llama.cpp's smollm3 leaves out RoPE on every 4th layer whatever the config says; other NoPE layers cannot be expressed.
        if (architecture == "smollm3" && Enumerable.Range(0, o.LayerCount).Any(i => !o.Rotates(i) != ((i + 1) % SmolLm3Family.LlamaCppNoRopeStep == 0)))
            throw config.Error("no_rope_layers", "leaves out RoPE on other layers than every 4th, which llama.cpp's smollm3 cannot express");
        if (architecture is "granite" or "granitemoe" or "granitehybrid") AddGranite(m, config, architecture);
        if (architecture == "granitehybrid") AddGraniteHybrid(m, o, config);
        if (architecture is "nemotron_h" or "nemotron_h_moe") AddNemotronH(m, o, config, architecture);
        if (architecture == "falcon-h1") AddFalconH1(m, o);
        if (architecture == "minicpm") AddMiniCpm(m, o);
        // Qwen2VLModel.set_gguf_parameters: mrope_section padded to four.
        if (architecture == "qwen2vl") Arch("rope.dimension_sections", o.Rope!.Sections!.Concat(Enumerable.Repeat(0, 4 - o.Rope.Sections!.Length)).ToArray());
        // OlmoModel.set_gguf_parameters: clip_qkv as clamp_kqv when the config sets it.
        if (architecture == "olmo" && o.QkvClip > 0) Arch("attention.clamp_kqv", o.QkvClip);
        if (architecture is "command-r" or "cohere2") AddCohere(m, o, config, architecture);
        // GptOssModel.set_gguf_parameters: the window (every other layer, llama.cpp's default pattern).
        if (architecture == "gpt-oss") AddGptOssWindow(m, o, config);
        if (LlamaConverted(architecture)) Arch("vocab_size", (uint)o.VocabSize);
        if (architecture == "llama")
        {
            if (o.SlidingWindows.Length > 0 && o.SlidingWindows.Distinct().Count() == 1 && o.SlidingWindows[0] > 0)
                Arch("attention.sliding_window", (uint)o.SlidingWindows[0]);
        }
        if (File.Exists(Path.Combine(folder, "tokenizer.json")) || File.Exists(Path.Combine(folder, "tokenizer.model")))
        {
            foreach (var (key, value) in HfTokenizerToGguf.Metadata(folder, o.VocabSize, ConfigTokenIds(config), architecture)) m[key] = value;
        }
        else
        {
            // llama.cpp's marker for a model without a tokenizer; it then sizes the vocabulary from {arch}.vocab_size.
            m["tokenizer.ggml.model"] = "no_vocab";
            Arch("vocab_size", (uint)o.VocabSize);
        }
        return m;
    }

    // Phi3MiniModel.set_gguf_parameters (PhiMoeModel's too): rotary dimensions, the pre-scaling context (transformers' Phi3Config
    // default 4096 when config.json has none), the window (0 for none); no key_length.
    private static void AddPhi3(Dictionary<string, object> m, DecoderOptions o, HfConfig config, string architecture)
    {
        void Arch(string key, object value) => m[$"{architecture}.{key}"] = value;
        var rope = o.Rope ?? throw config.Error("model_type", "phi3 needs RoPE");
        if (rope.Scaling is not (RopeScaling.Default or RopeScaling.LongRope or RopeScaling.DynamicNtk))
            throw config.Error("rope_scaling", $"is {rope.Scaling}; llama.cpp's Phi-3 keeps only LongRoPE scaling, so the GGUF would compute differently");
        Arch("rope.scaling.original_context_length", (uint)(config.GetRope(layerType: "full_attention").OriginalMaxPositionEmbeddings ?? 4096));
        Arch("rope.dimension_count", (uint)rope.RotaryDim);
        Arch("rope.freq_base", (float)rope.Theta);
        Arch("attention.sliding_window", (uint)config.GetInt("sliding_window", 0));
        // Phi3MiniModel.generate_extra_tensors: sqrt(1 + ln(max/original)/ln(original)), the engine's default (a config's own
        // factor, attention_factor or Phi-MoE's short_mscale, which the converter ignores, is written as transformers uses it).
        if (rope.Scaling == RopeScaling.LongRope) Arch("rope.scaling.attn_factor", (float)rope.CosSinScale);
    }

    // GraniteModel.set_gguf_parameters: each multiplier the config sets (and is not zero) under its llama.cpp name.
    private static void AddGranite(Dictionary<string, object> m, HfConfig config, string architecture)
    {
        foreach (var (hf, gguf) in new[] { ("attention_multiplier", "attention.scale"), ("embedding_multiplier", "embedding_scale"),
                     ("residual_multiplier", "residual_scale"), ("logits_scaling", "logit_scale") })
            if (config.TryGetFloat(hf, out var value) && value != 0) m[$"{architecture}.{gguf}"] = value;
    }

    // CommandR2Model / Cohere2Model.set_gguf_parameters: logit_scale, no RoPE scaling; Cohere2 its window, vocabulary size and
    // rotated dimensions. llama.cpp reads command-r's q/k norms by layer count and slides cohere2 by a period (4 unless a pattern
    // key says otherwise): what it cannot express is refused rather than written to compute differently.
    private static void AddCohere(Dictionary<string, object> m, DecoderOptions o, HfConfig config, string architecture)
    {
        void Arch(string key, object value) => m[$"{architecture}.{key}"] = value;
        if (o.Rope is not { Scaling: RopeScaling.Default } rope) throw config.Error("rope_scaling", $"is set; llama.cpp's {architecture} converter writes no RoPE scaling");
        Arch("logit_scale", 1 / o.LogitDivisor);
        Arch("rope.scaling.type", "none");
        if (architecture == "command-r")
        {
            if (o.QkNorm != o.LayerCount >= CohereFamily.GgufQkNormLayers)
                throw config.Error("use_qk_norm", $"is {(o.QkNorm ? "true" : "false")} with {o.LayerCount} layers; llama.cpp's command-r reads q/k norms exactly when there are {CohereFamily.GgufQkNormLayers} layers or more");
            return;
        }
        Arch("attention.sliding_window", (uint)config.GetInt("sliding_window"));
        Arch("vocab_size", (uint)o.VocabSize);
        Arch("rope.dimension_count", (uint)rope.RotaryDim);
        var period = SlidingPeriod(o, 4) ?? throw config.Error("layer_types", "slide in no repeating pattern (the last of every n layers full), which llama.cpp's cohere2 cannot express");
        if (period != 4) Arch("attention.sliding_window_pattern", (uint)period);
    }

    // NemotronModel.set_gguf_parameters: TextModel's keys (norm_eps also as the RMS epsilon), the vocabulary size, the rotated
    // dimensions as int(partial_rotary_factor · hidden) / heads and the scaling type. llama.cpp's nemotron shapes its projections
    // by hidden_size, so another head size is refused rather than written to load differently.
    private static void AddNemotron(Dictionary<string, object> m, DecoderOptions o, HfConfig config)
    {
        if (o.HeadDim * o.HeadCount != o.HiddenSize)
            throw config.Error("head_dim", $"is {o.HeadDim}; llama.cpp's nemotron needs num_attention_heads × head_dim = hidden_size ({o.HiddenSize})");
        if (o.Rope is not { Scaling: RopeScaling.Default or RopeScaling.Linear } rope) throw config.Error("rope_scaling", "is not linear; llama.cpp's nemotron converter writes linear scaling only");
        AddRope(m, "nemotron", rope, config);
        m["nemotron.attention.layer_norm_rms_epsilon"] = o.NormEps;
        m["nemotron.vocab_size"] = (uint)o.VocabSize;
        m["nemotron.rope.dimension_count"] = (uint)rope.RotaryDim;
        if (rope.Scaling == RopeScaling.Default) m["nemotron.rope.scaling.type"] = "none";
        if (config.Has("head_dim"))
        {
            m["nemotron.attention.key_length"] = (uint)o.HeadDim;
            m["nemotron.attention.value_length"] = (uint)o.HeadDim;
        }
    }

    // ChatGLMModel.set_gguf_parameters, which reads ChatGLM's own keys before the HF ones: context seq_length (else hidden_size),
    // MLP ffn_hidden_size, RMS epsilon layernorm_epsilon (else 1e-5, not rms_norm_eps), rotated dimensions half of hidden / heads,
    // RoPE base 10000 × rope_ratio, no BOS; no head size. A base or head size it would not write is refused.
    private static void AddChatGlm(Dictionary<string, object> m, DecoderOptions o, HfConfig config)
    {
        if (o.HeadDim * o.HeadCount != o.HiddenSize)
            throw config.Error("head_dim", $"is {o.HeadDim}; llama.cpp's chatglm needs num_attention_heads × head_dim = hidden_size ({o.HiddenSize})");
        var theta = 10000 * config.GetDouble("rope_ratio", 1);
        if (o.Rope is not { Scaling: RopeScaling.Default } rope || rope.Theta != theta)
            throw config.Error("rope_theta", $"is {o.Rope?.Theta}; llama.cpp's chatglm converter writes a plain RoPE of base 10000 × rope_ratio ({theta})");
        m["chatglm.context_length"] = (uint)config.GetInt("seq_length", o.HiddenSize);
        m["chatglm.feed_forward_length"] = (uint)config.GetInt("ffn_hidden_size", o.IntermediateSize);
        m["chatglm.attention.layer_norm_rms_epsilon"] = config.GetFloat("layernorm_epsilon", 1e-5f);
        m["chatglm.rope.dimension_count"] = (uint)rope.RotaryDim;
        m["chatglm.rope.freq_base"] = (float)theta;
        m["tokenizer.ggml.add_bos_token"] = false;
    }

    // llama.cpp's seed_oss loads q/k/v biases only: a file with an output-projection or MLP bias would not load there.
    private static void RefuseSeedOssBiases(HfConfig config)
    {
        foreach (var key in new[] { "attention_out_bias", "mlp_bias" })
            if (config.GetBool(key, false)) throw config.Error(key, "is true; llama.cpp's seed_oss has no tensor for that bias, so it could not load the GGUF");
    }

    // Exaone4Model.set_gguf_parameters: the vocabulary size, the window and which layers slide. llama.cpp slides only 64-layer
    // models (by the pattern, else every 4th layer full) and then rotates the windowed layers alone, and attends in full and
    // rotates every layer of other shapes: a config it would run otherwise is refused.
    private static void AddExaone4(Dictionary<string, object> m, DecoderOptions o, HfConfig config)
    {
        const int layers = Exaone4Family.LlamaCppSlidingLayers;
        m["exaone4.vocab_size"] = (uint)o.VocabSize;
        var windows = o.SlidingWindows.Where(w => w > 0).Distinct().ToArray();
        var hybrid = windows.Length > 0 || o.NoRopeLayers.Any(n => n);
        if (o.LayerCount != layers)
        {
            if (hybrid) throw config.Error("sliding_window", $"is set with {o.LayerCount} layers; llama.cpp's exaone4 slides, and leaves RoPE out of the full layers, only with {layers}");
            return;
        }
        if (windows.Length != 1 || Enumerable.Range(0, o.LayerCount).Any(i => o.Rotates(i) != o.WindowOf(i) > 0))
            throw config.Error("sliding_window", $"is {(hybrid ? "set" : "not set")}; llama.cpp's exaone4 gives every {layers}-layer model one window and rotates the windowed layers alone");
        m["exaone4.attention.sliding_window"] = (uint)windows[0];
        m["exaone4.attention.sliding_window_pattern"] = Enumerable.Range(0, o.LayerCount).Select(i => o.WindowOf(i) > 0).ToArray();
    }

    // HunYuanModel.set_gguf_parameters (HunYuanMoEModel's too): NTK-alpha RoPE as its scaled base (the options hold it), scaling
    // none with factor 1 and, for the dynamic type, the 256K context the models were trained for; a dynamic scaling without alpha,
    // which the converter would drop, is refused.
    private static void AddHunyuan(Dictionary<string, object> m, DecoderOptions o, HfConfig config, string architecture)
    {
        if (o.Rope is not { Scaling: RopeScaling.Default or RopeScaling.Linear })
            throw config.Error("rope_scaling", $"is {o.Rope?.Scaling} without an alpha; llama.cpp's {architecture} converter writes NTK-alpha or linear RoPE only");
        if (config.GetRope(layerType: "full_attention").Type != RopeType.Dynamic) return;
        const uint trained = 256 * 1024;
        m[$"{architecture}.rope.scaling.type"] = "none";
        m[$"{architecture}.rope.scaling.factor"] = 1f;
        m[$"{architecture}.rope.scaling.original_context_length"] = trained;
        m[$"{architecture}.context_length"] = trained;
    }

    // ApertusModel: LlamaModel's vocabulary size, and each layer's xIELU scalars (as stored, before their softplus) as per-layer
    // arrays in place of the act_fn tensors. A model with another activation has no GGUF llama.cpp could run.
    private static void AddApertus(Dictionary<string, object> m, DecoderOptions o, HfConfig config)
    {
        if (o.XieluLayers.Length != o.LayerCount) throw config.Error("hidden_act", $"is '{config.GetString("hidden_act")}'; llama.cpp's apertus runs xIELU only");
        m["apertus.vocab_size"] = (uint)o.VocabSize;
        m["xielu.alpha_p"] = o.XieluLayers.Select(x => x.AlphaP).ToArray();
        m["xielu.alpha_n"] = o.XieluLayers.Select(x => x.AlphaN).ToArray();
        m["xielu.beta"] = o.XieluLayers.Select(x => x.Beta).ToArray();
        m["xielu.eps"] = o.XieluLayers.Select(x => x.Eps).ToArray();
    }

    // MiniCPMModel.set_gguf_parameters: the three multipliers under llama.cpp's (Granite's) names.
    private static void AddMiniCpm(Dictionary<string, object> m, DecoderOptions o)
    {
        m["minicpm.embedding_scale"] = o.EmbeddingScale;
        m["minicpm.residual_scale"] = o.ResidualScale;
        m["minicpm.logit_scale"] = o.LogitDivisor;
    }

    // StableLMModel.set_gguf_parameters: the rotated dimensions, use_parallel_residual (llama.cpp goes by the ffn_norm tensors), no
    // RoPE base (llama.cpp's default 10000 is StableLM's; another one is written rather than lost).
    private static void AddStableLm(Dictionary<string, object> m, DecoderOptions o, HfConfig config)
    {
        if (o.Rope is not { Scaling: RopeScaling.Default } rope) throw config.Error("rope_scaling", "is set; llama.cpp's stablelm converter writes no RoPE scaling");
        m["stablelm.rope.dimension_count"] = (uint)rope.RotaryDim;
        m["stablelm.use_parallel_residual"] = o.ParallelBlock;
        if (rope.Theta != 10000) m["stablelm.rope.freq_base"] = (float)rope.Theta;
    }

    // Phi2Model.set_gguf_parameters: 4 × hidden as the MLP width (llama.cpp could not load another), the rotated dimensions, no
    // RoPE base (llama.cpp's default 10000 is Phi-2's; another one is written rather than lost), no BOS.
    private static void AddPhi2(Dictionary<string, object> m, DecoderOptions o, HfConfig config)
    {
        if (o.IntermediateSize != 4 * o.HiddenSize)
            throw config.Error("intermediate_size", $"is {o.IntermediateSize}; llama.cpp's phi2 converter writes 4 × hidden_size ({4 * o.HiddenSize}) as the MLP width");
        var rope = o.Rope ?? throw config.Error("model_type", "phi needs RoPE");
        if (rope.Scaling != RopeScaling.Default) throw config.Error("rope_scaling", $"is {rope.Scaling}; llama.cpp's phi2 converter writes no RoPE scaling");
        m["phi2.rope.dimension_count"] = (uint)rope.RotaryDim;
        if (rope.Theta != 10000) m["phi2.rope.freq_base"] = (float)rope.Theta;
        m["tokenizer.ggml.add_bos_token"] = false;
    }

    // FalconModel.set_gguf_parameters: context 2048 ("not in config.json"), 4 × hidden as the MLP width (llama.cpp could not load
    // another), the qkv layout marker, no RoPE keys (llama.cpp's default base 10000 is Falcon's; another one is written rather than lost).
    private static void AddFalcon(Dictionary<string, object> m, DecoderOptions o, HfConfig config)
    {
        if (o.IntermediateSize != 4 * o.HiddenSize)
            throw config.Error("ffn_hidden_size", $"is {o.IntermediateSize}; llama.cpp's falcon converter writes 4 × hidden_size ({4 * o.HiddenSize}) as the MLP width");
        var rope = o.Rope ?? throw config.Error("model_type", "falcon needs RoPE");
        if (rope.Scaling != RopeScaling.Default) throw config.Error("rope_scaling", $"is {rope.Scaling}; llama.cpp's falcon converter writes no RoPE scaling");
        if (rope.Theta != 10000) m["falcon.rope.freq_base"] = (float)rope.Theta;
        m["falcon.context_length"] = 2048u;
        m["falcon.tensor_data_layout"] = "jploski";
    }

    // GemmaModel.set_gguf_parameters: the head size; no RoPE base (llama.cpp assumes 10000, Gemma's), another one is written
    // rather than lost.
    private static void AddGemma(Dictionary<string, object> m, DecoderOptions o)
    {
        m["gemma.attention.key_length"] = (uint)o.HeadDim;
        m["gemma.attention.value_length"] = (uint)o.HeadDim;
        if (o.Rope is { Theta: not 10000 } rope) m["gemma.rope.freq_base"] = (float)rope.Theta;
    }

    // Gemma2Model.set_gguf_parameters: head size, soft-caps and window. The converter writes no RoPE base (llama.cpp assumes
    // 10000, Gemma 2's); another base is written rather than lost. llama.cpp derives the query scale from the shape, so a
    // query_pre_attn_scalar it would not derive cannot be converted.
    private static void AddGemma2(Dictionary<string, object> m, DecoderOptions o, HfConfig config)
    {
        m["gemma2.attention.key_length"] = (uint)o.HeadDim;
        m["gemma2.attention.value_length"] = (uint)o.HeadDim;
        if (config.TryGetFloat("attn_logit_softcapping", out var attentionCap)) m["gemma2.attn_logit_softcapping"] = attentionCap;
        if (config.TryGetFloat("final_logit_softcapping", out var finalCap)) m["gemma2.final_logit_softcapping"] = finalCap;
        if (config.TryGetInt("sliding_window", out var window)) m["gemma2.attention.sliding_window"] = (uint)window;
        if (o.Rope is { Theta: not 10000 } rope) m["gemma2.rope.freq_base"] = (float)rope.Theta;
        var llamaCppScalar = Gemma2Family.GgufQueryScalar(o);
        if (config.TryGetDouble("query_pre_attn_scalar", out var scalar) && scalar != llamaCppScalar)
            throw config.Error("query_pre_attn_scalar", $"is {scalar}; llama.cpp scales Gemma 2 queries by 1/sqrt({llamaCppScalar}) for this shape, so the GGUF would compute differently");
    }

    // Gemma3Model.set_gguf_parameters: head size, the full layers' RoPE (base, scaling) and the sliding layers' base, the window.
    // llama.cpp derives the query scale from the shape and slides all but every 6th layer unless a pattern key says otherwise,
    // and rotates sliding layers unscaled: what it cannot express is refused rather than written to compute differently.
    private static void AddGemma3(Dictionary<string, object> m, DecoderOptions o, HfConfig text)
    {
        m["gemma3.attention.key_length"] = (uint)o.HeadDim;
        m["gemma3.attention.value_length"] = (uint)o.HeadDim;
        var rope = o.Rope ?? throw text.Error("model_type", "gemma3 needs RoPE");
        AddRope(m, "gemma3", rope, text);
        if (o.FinalLogitSoftCap > 0) m["gemma3.final_logit_softcapping"] = o.FinalLogitSoftCap;
        var windows = o.SlidingWindows.Where(w => w > 0).Distinct().ToArray();
        if (windows.Length > 1) throw text.Error("sliding_window", $"gives layers different windows ({string.Join(", ", windows)}); llama.cpp has one");
        if (windows.Length == 1)
        {
            m["gemma3.attention.sliding_window"] = (uint)windows[0];
            var sliding = o.SlidingRope ?? rope;
            if (sliding.Scaling != RopeScaling.Default)
                throw text.Error("rope_parameters", $"scales the sliding layers' RoPE ({sliding.Scaling}); llama.cpp rotates them unscaled");
            m["gemma3.rope.freq_base_swa"] = (float)sliding.Theta;
            var period = SlidingPeriod(o, 6) ?? throw text.Error("layer_types", "slide in no repeating pattern (the last of every n layers full), which llama.cpp's gemma3 cannot express");
            if (period != 6) m["gemma3.attention.sliding_window_pattern"] = (uint)period;
        }
        var llamaCppScalar = Gemma3Family.GgufQueryScalar(o);
        if (Math.Abs(o.EffectiveAttentionScale * MathF.Sqrt(llamaCppScalar) - 1) > 1e-6)
            throw text.Error("query_pre_attn_scalar", $"is {text.GetDouble("query_pre_attn_scalar")}; llama.cpp scales Gemma 3 queries by 1/sqrt({llamaCppScalar}) for this shape, so the GGUF would compute differently");
    }

    // The period n (llama.cpp's default for the architecture first) for which layer i slides exactly when i % n < n − 1, or null.
    private static int? SlidingPeriod(DecoderOptions o, int preferred)
    {
        bool Fits(int n) => Enumerable.Range(0, o.LayerCount).All(i => o.WindowOf(i) > 0 == (i % n < n - 1));
        return new[] { preferred }.Concat(Enumerable.Range(1, o.LayerCount + 1)).Cast<int?>().FirstOrDefault(n => Fits(n!.Value));
    }

    // llama.cpp slides gpt-oss's even layers (its default pattern of 2) by attention.sliding_window; other patterns are refused.
    private static void AddGptOssWindow(Dictionary<string, object> m, DecoderOptions o, HfConfig config)
    {
        m["gpt-oss.attention.sliding_window"] = (uint)config.GetInt("sliding_window");
        if (Enumerable.Range(0, o.LayerCount).Any(i => o.WindowOf(i) > 0 != (i % 2 == 0)))
            throw config.Error("layer_types", "slide other layers than the even ones, which llama.cpp's gpt-oss cannot express");
    }

    // TextModel.set_gguf_parameters' expert keys and Qwen2MoeModel's widths. llama.cpp builds every layer of these architectures
    // sparse and fixes renormalisation per architecture: a config that differs would compute differently from the GGUF.
    private static void AddExperts(Dictionary<string, object> m, MoeOptions moe, string architecture, HfConfig config)
    {
        if (architecture == "ernie4_5-moe") AddErnieMoeLayers(m, moe, config);
        else if (moe.DenseLayers.Length > 0 && architecture != "llama4")
            throw config.Error(config.Has("mlp_only_layers") ? "mlp_only_layers" : "decoder_sparse_step", $"makes some layers dense; llama.cpp's {architecture} has experts in every layer");
        if (moe.NormalizeTopK != (architecture is "llama" or "qwen3moe" or "gpt-oss" or "granitemoe" or "granitehybrid" or "ernie4_5-moe" or "hunyuan-moe" or "qwen3next" or "qwen35moe"))
            throw config.Error("norm_topk_prob", $"is {(moe.NormalizeTopK ? "true" : "false")}; llama.cpp's {architecture} {(moe.NormalizeTopK ? "does not renormalise" : "renormalises")} the chosen experts' weights");
        m[$"{architecture}.expert_count"] = (uint)moe.ExpertCount;
        m[$"{architecture}.expert_used_count"] = (uint)moe.ExpertsUsed;
        if (architecture is "qwen2moe" or "qwen3moe" or "gpt-oss" or "ernie4_5-moe" or "llama4" or "hunyuan-moe" or "qwen3next" or "qwen35moe") m[$"{architecture}.expert_feed_forward_length"] = (uint)moe.ExpertFeedForward;
        // llama.cpp's llama4 sizes its shared expert as the routed ones, and its converter writes no width for it.
        if (moe.SharedFeedForward > 0 && architecture != "llama4") m[$"{architecture}.expert_shared_feed_forward_length"] = (uint)moe.SharedFeedForward;
    }

    // Llama4Model.set_gguf_parameters (of its text_config): LlamaModel's keys, the head size, the interleave step. llama.cpp's llama4
    // fixes what the converter does not write — experts where (i + 1) % step == 0 with a shared one as wide, NoPE on every 4th
    // layer with full attention and the others chunked by 8192, temperature floor 8192 and scale 0.1, q/k norms unless there are 128
    // experts (Maverick) — so a config that differs would compute differently from the GGUF and is refused.
    private static void AddLlama4(Dictionary<string, object> m, DecoderOptions o, HfConfig text)
    {
        m["llama4.attention.key_length"] = (uint)o.HeadDim;
        m["llama4.attention.value_length"] = (uint)o.HeadDim;
        AddRope(m, "llama4", o.Rope!, text);
        var moe = o.Moe ?? throw text.Error("num_local_experts", "gives no layer experts; llama.cpp's llama4 needs them");
        var step = text.GetInt("interleave_moe_layer_step");
        if (Enumerable.Range(0, o.LayerCount).Any(i => moe.IsSparse(i) != ((i + 1) % step == 0)))
            throw text.Error("moe_layers", $"lists other layers than every interleave_moe_layer_step-th ({step}), which llama.cpp's llama4 cannot express");
        m["llama4.interleave_moe_layer_step"] = (uint)step;
        var nope = Llama4Family.LlamaCppNoRopeStep;
        if (Enumerable.Range(0, o.LayerCount).Any(i => o.Rotates(i) == ((i + 1) % nope == 0)))
            throw text.Error("no_rope_layers", $"leaves out RoPE on other layers than every {nope}th, which llama.cpp's llama4 cannot express");
        if (Enumerable.Range(0, o.LayerCount).Any(i => (o.ChunkOf(i) > 0) != o.Rotates(i)))
            throw text.Error("layer_types", "chunk other layers than those that rotate, which llama.cpp's llama4 cannot express");
        if (o.AttentionChunks.FirstOrDefault(c => c > 0 && c != Llama4Family.LlamaCppChunk) is var chunk and > 0)
            throw text.Error("attention_chunk_size", $"is {chunk}; llama.cpp's llama4 attends within chunks of {Llama4Family.LlamaCppChunk}");
        if (o.TemperatureFloor != Llama4Family.LlamaCppTemperatureFloor || o.TemperatureScale != Llama4Family.LlamaCppTemperatureScale)
            throw text.Error(o.TemperatureFloor == 0 ? "attn_temperature_tuning" : o.TemperatureFloor != Llama4Family.LlamaCppTemperatureFloor ? "floor_scale" : "attn_scale",
                $"gives a temperature tuning (floor {o.TemperatureFloor}, scale {o.TemperatureScale}) unlike llama.cpp's llama4 (floor {Llama4Family.LlamaCppTemperatureFloor}, scale {Llama4Family.LlamaCppTemperatureScale})");
        if (o.QkUnweightedNorm != (moe.ExpertCount != 128))
            throw text.Error("use_qk_norm", $"is {(o.QkUnweightedNorm ? "true" : "false")} with {moe.ExpertCount} experts; llama.cpp's llama4 norms q and k exactly when there are not 128");
    }

    // Ernie4_5MoeModel.set_gguf_parameters: moe_layer_interval as the interleave step, moe_layer_start_index as the leading dense
    // blocks, the shared experts' count (their width: moe_num_shared_experts × moe_intermediate_size, which the converter derives
    // as intermediate_size / num_key_value_heads — the same for the published models). llama.cpp has no end index: a config whose
    // moe_layer_end_index makes later layers dense is refused.
    private static void AddErnieMoeLayers(Dictionary<string, object> m, MoeOptions moe, HfConfig config)
    {
        int step = config.GetInt("moe_layer_interval", 1), lead = config.GetInt("moe_layer_start_index", 1);
        for (var i = 0; i < moe.DenseLayers.Length; i++)
            if (moe.DenseLayers[i] != !(i >= lead && (i + 1) % step == 0))
                throw config.Error("moe_layer_end_index", $"makes layer {i} dense; llama.cpp's ernie4_5-moe has experts in every interval-th layer after the first moe_layer_start_index");
        m["ernie4_5-moe.interleave_moe_layer_step"] = (uint)step;
        m["ernie4_5-moe.leading_dense_block_count"] = (uint)lead;
        m["ernie4_5-moe.expert_shared_count"] = (uint)config.GetInt("moe_num_shared_experts", 2);
    }

    /// <summary>
    /// general.size_label of a file of <paramref name="tensors"/> as gguf-py labels it: the parameter count, or with experts
    /// (3-D `_exps.` tensors) "{experts}x{shared + one expert's}" (gguf-py counts the 2-D expert biases as shared).
    /// </summary>
    public static string SizeLabel(IReadOnlyList<Core.Quantization.TensorHeader> tensors)
    {
        long total = 0, shared = 0, expert = 0, expertSum = 0, expertTensors = 0;
        foreach (var t in tensors)
        {
            var size = t.Shape.Aggregate(1L, (a, d) => a * d);
            total += size;
            if (t.Name.Contains("_exps.", StringComparison.Ordinal) && t.Shape.Length >= 3)
            {
                var count = t.Shape[^3];
                expert += size / count;
                expertSum += count;
                expertTensors++;
            }
            else
            {
                shared += size;
            }
        }
        return expertTensors > 0 ? $"{expertSum / expertTensors}x{SizeLabel(shared + expert)}" : SizeLabel(total);
    }

    /// <summary>general.size_label as gguf-py rounds a parameter count: two significant digits at least, K/M/B/T ("224K", "2.1M", "7.6B").</summary>
    public static string SizeLabel(long parameters)
    {
        var (scaled, suffix) = parameters > 1e12 ? (parameters * 1e-12, "T") : parameters > 1e9 ? (parameters * 1e-9, "B")
            : parameters > 1e6 ? (parameters * 1e-6, "M") : (parameters * 1e-3, "K");
        var digits = Math.Max(2 - Math.Round(scaled).ToString(CultureInfo.InvariantCulture).TrimStart('0').Length, 0);
        return scaled.ToString("F" + digits, CultureInfo.InvariantCulture) + suffix;
    }

    /// <summary>
    /// The tensors convert_hf_to_gguf.py's generate_extra_tensors adds before the model's: llama3-style scaling as per-pair
    /// frequency divisors (rope_freqs.weight), Phi-3's LongRoPE factors (rope_factors_long/short.weight).
    /// </summary>
    public static IReadOnlyList<(string Name, float[] Values)> ExtraTensors(string architecture, RopeConfig? rope)
    {
        switch (rope?.Scaling)
        {
            case RopeScaling.Llama3:
                var plain = (rope with { Scaling = RopeScaling.Default }).InverseFrequencies();
                var scaled = rope.InverseFrequencies();
                return [("rope_freqs.weight", plain.Select((f, i) => (float)(f / scaled[i])).ToArray())];
            case RopeScaling.LongRope when architecture is "phi3" or "phimoe":
                return [("rope_factors_long.weight", rope.LongFactors!), ("rope_factors_short.weight", rope.ShortFactors!)];
            // Gemma4Model.generate_extra_tensors: the proportional RoPE's factors (1 rotated, 1e30 not) for the full layers.
            case RopeScaling.Default when architecture == "gemma4" && rope.FrequencyFactors != null:
                return [("rope_freqs.weight", rope.FrequencyFactors)];
            default:
                return [];
        }
    }

    private static void AddRope(Dictionary<string, object> m, string architecture, RopeConfig rope, HfConfig config)
    {
        void Arch(string key, object value) => m[$"{architecture}.{key}"] = value;
        Arch("rope.freq_base", (float)rope.Theta);
        // ExaoneModel, Glm4Model and ApertusModel (a LlamaModel that leaves Q/K unpermuted) write the rotated dimensions too.
        if (LlamaConverted(architecture) || architecture is "exaone" or "glm4" or "apertus" or "glm4moe" or "bailingmoe" or "bailingmoe2") Arch("rope.dimension_count", (uint)rope.RotaryDim);
        switch (rope.Scaling)
        {
            case RopeScaling.Linear:
                Arch("rope.scaling.type", "linear");
                Arch("rope.scaling.factor", (float)rope.Factor);
                break;
            case RopeScaling.Yarn:
                Arch("rope.scaling.type", "yarn");
                Arch("rope.scaling.factor", (float)rope.Factor);
                Arch("rope.scaling.original_context_length", (uint)rope.OriginalContext);
                // TextModel.set_gguf_parameters writes the betas only when the config gives them (llama.cpp's defaults are 32 and 1).
                if (RopeSets(config, "beta_fast")) Arch("rope.scaling.yarn_beta_fast", (float)rope.BetaFast);
                if (RopeSets(config, "beta_slow")) Arch("rope.scaling.yarn_beta_slow", (float)rope.BetaSlow);
                if (rope.AttentionFactor is { } f) Arch("rope.scaling.attn_factor", (float)f);
                break;
            case RopeScaling.Llama3 when architecture is not ("llama" or "arcee" or "apertus" or "exaone" or "exaone4" or "llama4"):
                throw config.Error("rope_scaling", $"is llama3-style, which llama.cpp expresses only for the llama, arcee, apertus, exaone, exaone4 and llama4 architectures, not {architecture}");
            case RopeScaling.LongRope:
                throw config.Error("rope_scaling", $"is LongRoPE, whose factors llama.cpp's converter writes only for phi3, not {architecture}");
        }
    }

    // Whether the config's RoPE section (rope_parameters, else rope_scaling; per layer type, full_attention's) sets key.
    private static bool RopeSets(HfConfig config, string key)
    {
        if (!config.TryGetSection(config.IsSection("rope_parameters") ? "rope_parameters" : "rope_scaling", out var section)) return false;
        return (section.TryGetSection("full_attention", out var full) ? full : section).Has(key);
    }

    internal static Dictionary<string, int> ConfigTokenIds(HfConfig config)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var kind in new[] { "bos", "eos", "unk", "pad" })
            if (config.GetIntList($"{kind}_token_id") is [var id, ..]) ids[kind] = id;
        return ids;
    }

    // convert_hf_to_gguf.py names the model after its folder: "llama-tiny" → "Llama Tiny".
    internal static string DisplayName(string folder)
    {
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
        var words = name.Split(['-', '_', ' '], StringSplitOptions.RemoveEmptyEntries);
        return string.Join(' ', words.Select(w => char.ToUpper(w[0], CultureInfo.InvariantCulture) + w[1..]));
    }
}
