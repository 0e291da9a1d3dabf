namespace Moxing.Models.Synthesis;

/// <summary>
/// The architecture and dimensions of a real model, as llama.cpp's converter writes them into GGUF; windowed layers attend to
/// the last <paramref name="SlidingWindow"/> positions (0: none); a mixture of experts has
/// <paramref name="Experts"/> experts of <paramref name="ExpertFeedForward"/> channels per layer, <paramref name="ExpertsUsed"/> per token;
/// an encoder pools as llama.cpp's <paramref name="Pooling"/> (1 mean, 2 cls) and has <paramref name="TokenTypes"/> token-type rows;
/// a shared expert of <paramref name="SharedFeedForward"/> channels runs beside the routed ones (0: none); DeepSeek's latent
/// attention and routing are <paramref name="DeepSeek"/> (null for other architectures); GLM-4.5's and dots.llm1's DeepSeek-style
/// routing over ordinary attention is <paramref name="Routing"/>; Gemma 4's full layers, sharing and per-layer inputs are <paramref name="Gemma4"/>;
/// Gemma 3n's sharing, per-layer inputs, Laurel and sparse gates are <paramref name="Gemma3n"/>.
/// </summary>
public sealed record SynthShape(
    string Name, string Architecture, int Vocab, int Hidden, int Layers, int FeedForward, int Heads, int KvHeads,
    int HeadDim, int Context, float NormEps, float RopeBase, int SlidingWindow = 0, int Experts = 0, int ExpertsUsed = 0, int ExpertFeedForward = 0,
    int Pooling = 0, int TokenTypes = 0, int SharedFeedForward = 0, SynthDeepSeek? DeepSeek = null,
    SynthRouting? Routing = null, SynthGemma4? Gemma4 = null, SynthGemma3n? Gemma3n = null)
{
    /// <summary>A bidirectional embedding model (bert, nomic-bert) rather than a decoder.</summary>
    public bool Encoder => Architecture is "bert" or "nomic-bert";

    /// <summary>q/k/v projections carry biases (qwen2, gpt-oss).</summary>
    public bool QkvBias => Architecture is "qwen2" or "qwen2vl" or "gpt-oss" or "stablelm" or "phimoe" or "glm4" or "chatglm" or "seed_oss" or "glm4moe";

    /// <summary>One fused attn_qkv (falcon, chatglm) rather than attn_q/k/v.</summary>
    public bool FusedQkv => Falcon || Architecture is "chatglm" or "bailingmoe2";

    /// <summary>gpt-oss: attention sinks, an output-projection bias, router and expert biases, MXFP4 experts, YaRN RoPE, and the
    /// norm before the experts named post_attention_norm.</summary>
    public bool GptOss => Architecture == "gpt-oss";

    /// <summary>YaRN RoPE as the converter writes it (gpt-oss: factor 32, AFM-4.5B: 20; over 4096 original positions).</summary>
    public double YarnFactor => GptOss ? 32 : Architecture == "arcee" ? 20 : 0;

    /// <summary>The norm before the MLP stored under the post-attention name, post_attention_norm (gpt-oss, seed_oss).</summary>
    public bool MlpNormNamedPostAttention => GptOss || Architecture is "seed_oss" or "glm4moe";

    /// <summary>RMS norms on q and k: per head (qwen3, qwen3moe, gemma3) or over the whole projections (olmoe).</summary>
    public bool QkNorm => Architecture is "qwen3" or "qwen3moe" or "olmoe" or "olmo2" or "gemma3" or "exaone4" or "hunyuan-dense" or "apertus"
        or "hunyuan-moe" || Routing is { QkNorm: true };

    /// <summary>q/k norms over the whole projections rather than per head (olmoe, olmo2).</summary>
    public bool QkNormAcrossHeads => Architecture is "olmoe" or "olmo2";

    /// <summary>LayerNorms with biases, biases on every projection, an ungated MLP (phi2, starcoder2).</summary>
    public bool LayerNorm => Architecture is "phi2" or "starcoder2";

    /// <summary>Attention and MLP side by side (phi2, falcon): no ffn_norm.</summary>
    public bool Parallel => Architecture is "phi2" or "falcon";

    /// <summary>Falcon: one fused attn_qkv, LayerNorms with bias but no biased projections, an ungated MLP; with several
    /// key/value heads (40B, 180B) the attention's own attn_norm_2 beside attn_norm.</summary>
    public bool Falcon => Architecture == "falcon";

    /// <summary>Cohere (command-r, cohere2): LayerNorms without bias, attention and a gated MLP side by side, logits scaled.</summary>
    public bool Cohere => Architecture is "command-r" or "cohere2";

    /// <summary>The logit scale Cohere's converter writes: command-r's 0.0625, command-r7b's 0.25; 0 for other architectures.</summary>
    public float LogitScale => Architecture switch { "command-r" => 0.0625f, "cohere2" => 0.25f, _ => 0f };

    /// <summary>StableLM: LayerNorms with biases, q/k/v biases (stablelm-2's use_qkv_bias), a gated MLP, a quarter of each head rotated.</summary>
    public bool StableLm => Architecture == "stablelm";

    /// <summary>Phi-3.5-MoE: LayerNorms with biases (epsilon under the RMS key), q/k/v/o biases, an output bias, LongRoPE factor tensors.</summary>
    public bool PhiMoe => Architecture == "phimoe";

    /// <summary>The norms carry biases (phi2, starcoder2, falcon, stablelm, phimoe, nemotron, and the classic families but mpt).</summary>
    public bool NormBiases => LayerNorm || Falcon || StableLm || PhiMoe || Architecture == "nemotron" || Classic && Architecture != "mpt";

    /// <summary>LayerNorms, whose epsilon is written as layer_norm_epsilon (those with biases, Cohere's, OLMo's without weights, MPT's without biases).</summary>
    public bool LayerNorms => NormBiases || Cohere || Olmo || Classic;

    /// <summary>GPT-NeoX, BLOOM, MPT and StarCoder 1: LayerNorms, one fused attn_qkv, an ungated MLP, their own positions (rotary, ALiBi or learned).</summary>
    public bool Classic => Architecture is "gptneox" or "bloom" or "mpt" or "starcoder";

    /// <summary>A gated MLP (ffn_gate or GLM-4's fused ffn_up): all but phi2, starcoder2, falcon and nemotron (squared ReLU of ffn_up).</summary>
    public bool GatedMlp => !(LayerNorm || Falcon || Architecture is "nemotron" or "arcee" or "apertus");

    /// <summary>GLM-4 and ChatGLM: gate and up projections fused into one ffn_up of twice the width, gate first.</summary>
    public bool FusedGateUp => Architecture is "glm4" or "chatglm";

    /// <summary>OLMo (1): non-parametric LayerNorms, so no norm tensors at all.</summary>
    public bool Olmo => Architecture == "olmo";

    /// <summary>
    /// The clamp OLMo's and MPT's converters write from clip_qkv (0: none): none for olmo-1b and mpt-7b; tiny-olmo's and tiny-mpt's 0.5
    /// bites on synthetic weights, so a comparison with llama.cpp covers the clamp.
    /// </summary>
    public float QkvClip => (Olmo || Architecture == "mpt") && Name.StartsWith("tiny-", StringComparison.Ordinal) ? 0.5f : 0f;

    /// <summary>
    /// Rotated dimensions per head: Phi-2's converter writes int(0.4 · hidden) / heads, Nemotron's int(0.5 · hidden) / heads,
    /// StableLM's int(0.25 · head_dim), GLM-4's half the head; the others rotate whole heads.
    /// </summary>
    public int RotaryDim => Architecture switch
    {
        "phi2" => (int)(0.4 * Hidden) / Heads,
        "nemotron" => (int)(0.5 * Hidden) / Heads,
        "stablelm" or "gptneox" => (int)(0.25 * HeadDim),
        "glm4" or "chatglm" or "glm4moe" or "bailingmoe2" => HeadDim / 2,
        // Qwen3-Next's and Qwen3.5's partial_rotary_factor 0.25.
        "qwen3next" or "qwen35" or "qwen35moe" => HeadDim / 4,
        _ => HeadDim,
    };


    /// <summary>Norms before attention and MLP (all but olmo2, and olmo's have no tensors).</summary>
    public bool PreNorms => Architecture is not ("olmo2" or "exaone4") && !Olmo;

    /// <summary>Norms after attention and MLP (gemma3, olmo2, glm4).</summary>
    public bool PostNorms => Architecture is "gemma3" or "olmo2" or "glm4" or "exaone4";

    /// <summary>The key/value head size written whatever the shape (gemma, gemma3; glm4's, nemotron's and ERNIE 4.5's configs give head_dim).</summary>
    public bool WritesHeadSize => Architecture is "gemma" or "gemma3" or "glm4" or "nemotron" or "ernie4_5" or "ernie4_5-moe" or "llama4" or "seed_oss" or "hunyuan-dense"
        or "glm4moe" or "dots1" or "hunyuan-moe" or "bailingmoe" or "bailingmoe2";

    /// <summary>MiniCPM's multipliers as its converter writes them (scale_emb 12, scale_depth 1.4 / sqrt(layers), hidden / dim_model_base).</summary>
    public bool MiniCpm => Architecture == "minicpm";

    /// <summary>MiniCPM-2B's dim_model_base 256; tiny-minicpm's 64, so its logits are divided (by 4) as a real model's are.</summary>
    public int DimModelBase => Name.StartsWith("tiny-", StringComparison.Ordinal) ? 64 : 256;

    /// <summary>ERNIE 4.5 MoE: the first layer dense (leading_dense_block_count 1), an expert-selection bias (exp_probs_b) per sparse layer.</summary>
    public bool ErnieMoe => Architecture == "ernie4_5-moe";

    /// <summary>Layers before the first sparse one, which keep a dense MLP (ERNIE 4.5 MoE's moe_layer_start_index 1, DeepSeek's first_k_dense_replace; 0 for the others).</summary>
    public int LeadingDenseLayers => DeepSeek?.LeadingDense ?? Routing?.LeadingDense ?? (ErnieMoe ? 1 : Architecture != "lfm2moe" ? 0 : Name.StartsWith("tiny-", StringComparison.Ordinal) ? 1 : 2);

    /// <summary>
    /// Per layer, whether it is a short convolution (lfm2, lfm2moe): the published 16-layer models attend on layers 2, 5, 8, 10, 12
    /// and 14, LFM2-8B-A1B's 24 on 2, 6, 10, 14, 18 and 21 (recalled), other depths on every third layer from 2 (tiny-lfm2: 2 and
    /// 5); empty for other architectures.
    /// </summary>
    public bool[] ShortConvLayers => Architecture is not ("lfm2" or "lfm2moe") ? []
        : Enumerable.Range(0, Layers).Select(i => Layers switch
        {
            16 => i is not (2 or 5 or 8 or 10 or 12 or 14),
            24 => i is not (2 or 6 or 10 or 14 or 18 or 21),
            _ => i % 3 != 2,
        }).ToArray();

    /// <summary>
    /// The Mamba2 mixers of a granitehybrid, mamba2, nemotron_h or falcon-h1 shape (null for other architectures): heads, head size, state size, B/C
    /// groups, taps, and which layers they are (granite-4.0-h-tiny: all but 5, 15, 25, 35; tiny-granitehybrid: all but every
    /// third from 2; mamba2: all). Inner widths are 2 × hidden; the tiny shapes have two groups so the grouping is exercised.
    /// </summary>
    public (int Heads, int HeadDim, int State, int Groups, int Taps, bool[] Layers)? Mamba2 => Architecture switch
    {
        "granitehybrid" when Name.StartsWith("tiny-", StringComparison.Ordinal) => (8, 2 * Hidden / 8, 32, 2, 4, [.. Enumerable.Range(0, Layers).Select(i => i % 3 != 2)]),
        "granitehybrid" => (48, 2 * Hidden / 48, 128, 1, 4, [.. Enumerable.Range(0, Layers).Select(i => i % 10 != 5)]),
        "mamba2" when Name.StartsWith("tiny-", StringComparison.Ordinal) => (8, 2 * Hidden / 8, 32, 2, 4, [.. Enumerable.Repeat(true, Layers)]),
        "falcon-h1" when Name.StartsWith("tiny-", StringComparison.Ordinal) => (8, 2 * Hidden / 8, 32, 2, 4, [.. Enumerable.Repeat(true, Layers)]),
        "falcon-h1" => (24, 64, 128, 1, 4, [.. Enumerable.Repeat(true, Layers)]),
        "nemotron_h" or "nemotron_h_moe" when Name.StartsWith("tiny-", StringComparison.Ordinal) => (8, 2 * Hidden / 8, 32, 2, 4, [.. NemotronHBlocks.Select(b => b == 'M')]),
        "nemotron_h" or "nemotron_h_moe" => (128, 2 * Hidden / 128, 128, 8, 4, [.. NemotronHBlocks.Select(b => b == 'M')]),
        "mamba2" => (2 * Hidden / 64, 64, 128, 1, 4, [.. Enumerable.Repeat(true, Layers)]),
        _ => null,
    };

    /// <summary>
    /// Mamba 1's mixers of a mamba or jamba shape (null for other architectures): inner width 2 × hidden, a state of 16, 4 taps, the
    /// time-step rank (ceil(hidden / 16); the tiny shapes' 32, so that Q8_0 rows fit it), whether dt, B and C are RMS-normed without
    /// weights (the falcon-mamba shapes' dt_b_c_rms), and which layers they are (mamba: all; jamba: all but every 8th from 4,
    /// Jamba-v0.1's attn_layer_period 8 and attn_layer_offset 4).
    /// </summary>
    public (int Inner, int State, int Taps, int Rank, bool Rms, bool[] Layers)? Mamba1 => Architecture is "mamba" or "jamba"
        ? (2 * Hidden, 16, 4, Name.StartsWith("tiny-", StringComparison.Ordinal) ? 32 : (Hidden + 15) / 16, Name.Contains("falcon-mamba", StringComparison.Ordinal),
            [.. Enumerable.Range(0, Layers).Select(i => Architecture == "mamba" || i % 8 != 4)])
        : null;

    /// <summary>
    /// Nemotron-H's blocks, one character each (M Mamba2, * attention, - MLP, E experts): nemotron-h-8b's "M-M-M-M*-" repeated over its
    /// 52 layers (recalled, unverified), the tiny shapes' "M-*-M-" and "ME*EME"; empty for other architectures.
    /// </summary>
    public string NemotronHBlocks => Architecture switch
    {
        "nemotron_h" when Name.StartsWith("tiny-", StringComparison.Ordinal) => "M-*-M-",
        "nemotron_h_moe" => "ME*EME",
        "nemotron_h" => string.Concat(Enumerable.Repeat("M-M-M-M*-", 6))[..Layers],
        _ => "",
    };

    /// <summary>
    /// The Gated DeltaNet of a qwen3next, qwen35 or qwen35moe shape (null for other architectures): key heads, value heads, their
    /// size (llama.cpp's ssm.state_size, equal for keys and values), taps; every 4th layer attends (full_attention_interval 4).
    /// The tiny shapes have two value heads per key head, so the sharing (grouped or tiled) is exercised.
    /// </summary>
    public (int KeyHeads, int ValueHeads, int HeadDim, int Taps)? DeltaNet => Architecture switch
    {
        "qwen3next" or "qwen35" or "qwen35moe" when Name.StartsWith("tiny-", StringComparison.Ordinal) => (2, 4, 32, 4),
        "qwen3next" or "qwen35moe" => (16, 32, 128, 4),
        "qwen35" => (16, 16, 128, 4),
        _ => null,
    };

    /// <summary>Granite 3.x's multipliers (embedding 12, residual 0.22, attention 1/64, logits ÷ <see cref="GraniteLogitScale"/>), written for every granite, granitemoe and granitehybrid shape.</summary>
    public bool Granite => Architecture is "granite" or "granitemoe" or "granitehybrid";

    /// <summary>Granite's logits_scaling: 8 for the dense 3.x models, 6 for the MoE ones (granite-3.0-1b-a400m, granite-3.1-3b-a800m).</summary>
    public float GraniteLogitScale => Architecture is "granitemoe" or "granitehybrid" ? 6f : 8f;

    /// <summary>Llama 3 RoPE scaling, stored as `rope_freqs.weight` factors (not Mixtral's; EXAONE 3.5/4.0's, Apertus's and Llama 4's too).</summary>
    public bool Llama3Rope => Architecture is "llama" && Experts == 0 || Architecture is "exaone" or "exaone4" or "apertus" or "llama4";

    /// <summary>The llama3 scaling factor: Llama 3.2's 32, EXAONE 3.5's and Apertus's 8, EXAONE 4.0's and Llama 4 Scout's 16.</summary>
    public double Llama3Factor => Architecture switch { "exaone" or "apertus" => 8, "exaone4" or "llama4" => 16, _ => 32 };

    /// <summary>The llama3 high_freq_factor: Llama 4 Scout's 1 (no interpolated band), the others' 4.</summary>
    public double Llama3HighFrequencyFactor => Architecture == "llama4" ? 1 : 4;

    /// <summary>Llama 4: experts in every <see cref="MoeStep"/>-th layer with a shared expert as wide, llama.cpp's fixed NoPE, chunk and temperature.</summary>
    public bool Llama4 => Architecture == "llama4";

    /// <summary>interleave_moe_layer_step: Maverick's 2 (and tiny-llama4-interleaved's), Jamba's expert_layer_period 2 (offset 1), 1 for the others.</summary>
    public int MoeStep => Name is "llama4-maverick" or "tiny-llama4-interleaved" || Architecture == "jamba" ? 2 : 1;

    /// <summary>True when layer <paramref name="layer"/> has experts rather than a dense MLP.</summary>
    public bool IsSparse(int layer) => Experts > 0 && layer >= LeadingDenseLayers && (layer + 1) % MoeStep == 0;

    /// <summary>The LM head is the token embedding (llama.cpp's olmoe, olmo2, phi2, stablelm and gpt-oss require an output matrix of their own; Falcon's and InternLM2's checkpoints carry one).</summary>
    public bool TiedEmbeddings => Architecture is not ("gptneox" or "olmoe" or "olmo2" or "gpt-oss" or "phi2" or "falcon" or "internlm2" or "stablelm" or "phimoe" or "glm4" or "chatglm" or "nemotron" or "llama4" or "seed_oss" or "exaone4" or "arcee" or "mistral3" or "apertus" or "glm4moe" or "dots1" or "bailingmoe" or "bailingmoe2" or "jamba");


    /// <summary>The shapes `moxing synth --like` knows, by name; the `tiny-*` ones are sub-megabyte models for tests.</summary>
    public static IReadOnlyList<SynthShape> Known { get; } =
    [
        new("qwen2.5-0.5b", "qwen2", 151936, 896, 24, 4864, 14, 2, 64, 32768, 1e-6f, 1000000f),
        new("qwen2.5-1.5b", "qwen2", 151936, 1536, 28, 8960, 12, 2, 128, 32768, 1e-6f, 1000000f),
        new("llama3.2-1b", "llama", 128256, 2048, 16, 8192, 32, 8, 64, 131072, 1e-5f, 500000f),
        new("qwen3-0.6b", "qwen3", 151936, 1024, 28, 3072, 16, 8, 128, 40960, 1e-6f, 1000000f),
        new("tiny-qwen2", "qwen2", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-6f, 1000000f),
        // Qwen2.5-VL-3B's language model (qwen2vl: Qwen2's graph with M-RoPE sections [16, 24, 24]) and a tiny one of sections [8, 12, 12].
        new("qwen2.5-vl-3b", "qwen2vl", 151936, 2048, 36, 11008, 16, 2, 128, 128000, 1e-6f, 1000000f),
        new("tiny-qwen2vl", "qwen2vl", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-6f, 1000000f),
        // the same language model, its synth --mmproj a Qwen2.5-VL tower
        new("tiny-qwen25vl", "qwen2vl", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-6f, 1000000f),
        new("tiny-llama", "llama", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-5f, 500000f),
        new("tiny-qwen3", "qwen3", 1024, 256, 4, 512, 4, 2, 128, 256, 1e-6f, 1000000f),
        // Gemma 3's converted configs: window on 5 of every 6 layers, local RoPE base 10000 (written as freq_base_swa).
        new("gemma3-270m", "gemma3", 262144, 640, 18, 2048, 4, 1, 256, 32768, 1e-6f, 1000000f, SlidingWindow: 512),
        new("gemma3-1b", "gemma3", 262144, 1152, 26, 6912, 4, 1, 256, 32768, 1e-6f, 1000000f, SlidingWindow: 512),
        new("tiny-gemma3", "gemma3", 1024, 256, 6, 512, 4, 1, 64, 256, 1e-6f, 1000000f, SlidingWindow: 8),
        new("qwen3-30b-a3b", "qwen3moe", 151936, 2048, 48, 6144, 32, 4, 128, 40960, 1e-6f, 1000000f, Experts: 128, ExpertsUsed: 8, ExpertFeedForward: 768),
        new("olmoe-1b-7b", "olmoe", 50304, 2048, 16, 1024, 16, 16, 128, 4096, 1e-5f, 10000f, Experts: 64, ExpertsUsed: 8, ExpertFeedForward: 1024),
        new("mixtral-8x7b", "llama", 32000, 4096, 32, 14336, 32, 8, 128, 32768, 1e-5f, 1000000f, Experts: 8, ExpertsUsed: 2, ExpertFeedForward: 14336),
        new("tiny-qwen3moe", "qwen3moe", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-6f, 1000000f, Experts: 8, ExpertsUsed: 2, ExpertFeedForward: 128),
        new("tiny-olmoe", "olmoe", 1024, 256, 4, 256, 4, 4, 64, 256, 1e-5f, 10000f, Experts: 8, ExpertsUsed: 3, ExpertFeedForward: 256),
        new("tiny-mixtral", "llama", 1024, 256, 4, 256, 4, 2, 64, 256, 1e-5f, 1000000f, Experts: 4, ExpertsUsed: 2, ExpertFeedForward: 256),
        // gpt-oss's converted configs: window 128 on even layers, YaRN factor 32 over 4096 original positions.
        new("gpt-oss-20b", "gpt-oss", 201088, 2880, 24, 2880, 64, 8, 64, 131072, 1e-5f, 150000f, SlidingWindow: 128, Experts: 32, ExpertsUsed: 4, ExpertFeedForward: 2880),
        new("gpt-oss-120b", "gpt-oss", 201088, 2880, 36, 2880, 64, 8, 64, 131072, 1e-5f, 150000f, SlidingWindow: 128, Experts: 128, ExpertsUsed: 4, ExpertFeedForward: 2880),
        new("granite-3.1-2b", "granite", 49155, 2048, 40, 8192, 32, 8, 64, 131072, 1e-5f, 5000000f),
        new("tiny-granite", "granite", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-5f, 10000f),
        // Granite MoE: experts as wide as feed_forward_length (the converter writes no expert width), top-8 of 40.
        new("granite-3.1-3b-a800m", "granitemoe", 49155, 1536, 32, 512, 24, 8, 64, 131072, 1e-6f, 10000000f, Experts: 40, ExpertsUsed: 8, ExpertFeedForward: 512),
        // tiny-granitemoe has granitemoeshared's ungated shared expert.
        // Phi-3.5-MoE: LongRoPE over 4096 original positions (synthetic factors), window = context, 16 experts top-2.
        new("phi-3.5-moe", "phimoe", 32064, 4096, 32, 6400, 32, 8, 128, 131072, 1e-5f, 10000f, SlidingWindow: 131072, Experts: 16, ExpertsUsed: 2, ExpertFeedForward: 6400),
        new("tiny-phimoe", "phimoe", 1024, 256, 4, 128, 4, 2, 64, 8192, 1e-5f, 10000f, SlidingWindow: 8192, Experts: 8, ExpertsUsed: 2, ExpertFeedForward: 128),
        // ERNIE-4.5-21B-A3B: 64 experts top-6 of 1536 and two shared (3072) after one dense layer; tiny-ernie4_5-moe likewise.
        new("ernie-4.5-21b-a3b", "ernie4_5-moe", 103424, 2560, 28, 12288, 20, 4, 128, 131072, 1e-5f, 500000f, Experts: 64, ExpertsUsed: 6, ExpertFeedForward: 1536, SharedFeedForward: 3072),
        new("tiny-ernie4_5-moe", "ernie4_5-moe", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-5f, 500000f, Experts: 8, ExpertsUsed: 2, ExpertFeedForward: 128, SharedFeedForward: 256),
        // Llama 4 Scout (16 experts top-1 and a shared one, 8192 wide, in every layer; llama3 RoPE factor 16) and Maverick (128 experts
        // in every 2nd layer, dense MLPs of 16384 between, no q/k norms in llama.cpp); tiny ones likewise.
        new("llama4-scout", "llama4", 202048, 5120, 48, 16384, 40, 8, 128, 10485760, 1e-5f, 500000f, Experts: 16, ExpertsUsed: 1, ExpertFeedForward: 8192, SharedFeedForward: 8192),
        new("llama4-maverick", "llama4", 202048, 5120, 48, 16384, 40, 8, 128, 1048576, 1e-5f, 500000f, Experts: 128, ExpertsUsed: 1, ExpertFeedForward: 8192, SharedFeedForward: 8192),
        new("tiny-llama4", "llama4", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-5f, 500000f, Experts: 4, ExpertsUsed: 1, ExpertFeedForward: 128, SharedFeedForward: 128),
        new("tiny-llama4-interleaved", "llama4", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-5f, 500000f, Experts: 4, ExpertsUsed: 1, ExpertFeedForward: 128, SharedFeedForward: 128),
        new("tiny-granitemoe", "granitemoe", 1024, 256, 4, 128, 4, 2, 64, 256, 1e-6f, 10000f, Experts: 8, ExpertsUsed: 3, ExpertFeedForward: 128, SharedFeedForward: 192),
        new("olmo2-1b", "olmo2", 100352, 2048, 16, 8192, 16, 16, 128, 4096, 1e-6f, 500000f),
        new("tiny-olmo2", "olmo2", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-6f, 500000f),
        new("gemma-2b", "gemma", 256000, 2048, 18, 16384, 8, 1, 256, 8192, 1e-6f, 10000f),
        new("tiny-gemma", "gemma", 1024, 256, 4, 512, 4, 1, 64, 256, 1e-6f, 10000f),
        new("phi-2", "phi2", 51200, 2560, 32, 10240, 32, 32, 80, 2048, 1e-5f, 10000f),
        new("tiny-phi2", "phi2", 1024, 320, 4, 1280, 4, 4, 80, 256, 1e-5f, 10000f),
        new("starcoder2-3b", "starcoder2", 49152, 3072, 30, 12288, 24, 2, 128, 16384, 1e-5f, 999999.44f),
        new("tiny-starcoder2", "starcoder2", 1024, 256, 4, 1024, 4, 2, 64, 256, 1e-5f, 100000f),
        // Falcon's converter writes context 2048 whatever the config; 40B and 180B group their query heads by 8 key/value heads.
        new("falcon-7b", "falcon", 65024, 4544, 32, 18176, 71, 1, 64, 2048, 1e-5f, 10000f),
        new("falcon-40b", "falcon", 65024, 8192, 60, 32768, 128, 8, 64, 2048, 1e-5f, 10000f),
        new("tiny-falcon", "falcon", 1024, 256, 4, 1024, 4, 2, 64, 2048, 1e-5f, 10000f),
        // Pythia-1B (rotary_pct 0.25), bloom-560m (ALiBi), mpt-7b (ALiBi, no biases) and starcoderbase-1b (multi-query, learned
        // positions), dimensions as recalled from their configs, not verified here; tiny-bloom's 6 heads take ALiBi's slopes for a head
        // count that is no power of two.
        new("pythia-1b", "gptneox", 50304, 2048, 16, 8192, 8, 8, 256, 2048, 1e-5f, 10000f),
        new("tiny-gptneox", "gptneox", 1024, 256, 4, 1024, 4, 4, 64, 256, 1e-5f, 10000f),
        new("bloom-560m", "bloom", 250880, 1024, 24, 4096, 16, 16, 64, 2048, 1e-5f, 10000f),
        new("tiny-bloom", "bloom", 1024, 192, 4, 768, 6, 6, 32, 256, 1e-5f, 10000f),
        new("mpt-7b", "mpt", 50432, 4096, 32, 16384, 32, 32, 128, 2048, 1e-5f, 10000f),
        new("tiny-mpt", "mpt", 1024, 256, 4, 1024, 4, 4, 64, 256, 1e-5f, 10000f),
        new("starcoderbase-1b", "starcoder", 49152, 2048, 24, 8192, 16, 1, 128, 8192, 1e-5f, 10000f),
        new("tiny-starcoder", "starcoder", 1024, 256, 4, 1024, 4, 1, 64, 256, 1e-5f, 10000f),
        // EXAONE 3.5 (llama3 scaling, factor 8 over 8192), SmolLM3 (every 4th layer without RoPE), InternLM2.5.
        new("exaone-3.5-2.4b", "exaone", 102400, 2560, 30, 7168, 32, 8, 80, 32768, 1e-5f, 1000000f),
        new("tiny-exaone", "exaone", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-5f, 1000000f),
        new("smollm3-3b", "smollm3", 128256, 2048, 36, 11008, 16, 4, 128, 65536, 1e-6f, 5000000f),
        new("tiny-smollm3", "smollm3", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-6f, 5000000f),
        new("internlm2.5-7b", "internlm2", 92544, 4096, 32, 14336, 32, 8, 128, 32768, 1e-5f, 1000000f),
        new("tiny-internlm2", "internlm2", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-5f, 1000000f),
        // Command-R v01 (35B; its converter writes model_max_length as the context) and command-r7b (cohere2: window 4096 on 3 of every 4 layers).
        // stablelm-2-1_6b: q/k/v biases, sequential residuals, partial rotary 0.25.
        new("stablelm-2-1_6b", "stablelm", 100352, 2048, 24, 5632, 32, 32, 64, 4096, 1e-5f, 10000f),
        new("tiny-stablelm", "stablelm", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-5f, 10000f),
        new("command-r-35b", "command-r", 256000, 8192, 40, 22528, 64, 64, 128, 131072, 1e-5f, 8000000f),
        new("tiny-command-r", "command-r", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-5f, 8000000f),
        new("command-r7b", "cohere2", 256000, 4096, 32, 14336, 32, 8, 128, 8192, 1e-5f, 50000f, SlidingWindow: 4096),
        new("tiny-cohere2", "cohere2", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-5f, 50000f, SlidingWindow: 8),
        // GLM-4-9B-0414 (half of each 128-wide head rotated, q/k/v biases, post norms), Nemotron-Mini-4B (LayerNorm1P, relu², half
        // rotated), OLMo-1B-hf (no norm weights; tiny-olmo's clamp bites), MiniCPM-2B (μP multipliers, tied head).
        new("glm-4-9b", "glm4", 151552, 4096, 40, 13696, 32, 2, 128, 32768, 1e-5f, 10000f),
        new("tiny-glm4", "glm4", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-5f, 10000f),
        // glm-4-9b-chat as llama.cpp's chatglm (Ollama's glm4): fused attn_qkv with bias, RoPE base 10000 × rope_ratio 500.
        new("glm-4-9b-chat", "chatglm", 151552, 4096, 40, 13696, 32, 2, 128, 131072, 1.5625e-7f, 5000000f),
        new("tiny-chatglm", "chatglm", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-5f, 10000f),
        new("nemotron-mini-4b", "nemotron", 256000, 3072, 32, 9216, 24, 8, 128, 4096, 1e-5f, 10000f),
        new("tiny-nemotron", "nemotron", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-5f, 10000f),
        new("olmo-1b", "olmo", 50304, 2048, 16, 8192, 16, 16, 128, 2048, 1e-5f, 10000f),
        new("tiny-olmo", "olmo", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-5f, 10000f),
        new("minicpm-2b", "minicpm", 122753, 2304, 40, 5760, 36, 36, 64, 2048, 1e-5f, 10000f),
        new("tiny-minicpm", "minicpm", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-5f, 10000f),
        // ERNIE-4.5-0.3B: heads of 128 on a 1024-wide stream (q is twice the hidden size), interleaved RoPE, tied head; tiny-ernie4_5
        // keeps the wide heads.
        new("ernie-4.5-0.3b", "ernie4_5", 103424, 1024, 18, 3072, 16, 2, 128, 131072, 1e-5f, 500000f),
        new("tiny-ernie4_5", "ernie4_5", 1024, 256, 4, 512, 4, 2, 128, 256, 1e-5f, 500000f),
        // DeepSeek-V2-Lite (no query rank, 64 experts top-6 of 1408 and two shared after one dense layer, softmax) and DeepSeek-V3
        // (query rank 1536, 256 experts top-8 in 4 of 8 groups, sigmoid with selection bias, × 2.5, three dense layers): keys 192
        // wide, values 128, yarn factor 40 over 4096 positions; as the current converter writes them (MQA over the latent, k_b/v_b).
        new("deepseek-v2-lite", "deepseek2", 102400, 2048, 27, 10944, 16, 1, 192, 163840, 1e-6f, 10000f, Experts: 64, ExpertsUsed: 6, ExpertFeedForward: 1408,
            SharedFeedForward: 2816, DeepSeek: new(0, 512, 64, 128, 1, 1, 1, false, 1f, 0.707f, 40, 4096)),
        new("deepseek-v3", "deepseek2", 129280, 7168, 61, 18432, 128, 1, 192, 163840, 1e-6f, 10000f, Experts: 256, ExpertsUsed: 8, ExpertFeedForward: 2048,
            SharedFeedForward: 2048, DeepSeek: new(1536, 512, 64, 128, 3, 8, 4, true, 2.5f, 1f, 40, 4096)),
        new("tiny-deepseek-v2", "deepseek2", 1024, 256, 4, 512, 4, 1, 96, 256, 1e-6f, 10000f, Experts: 8, ExpertsUsed: 2, ExpertFeedForward: 128,
            SharedFeedForward: 256, DeepSeek: new(0, 128, 32, 64, 1, 1, 1, false, 1f, 0.707f, 4, 64)),
        new("tiny-deepseek-v3", "deepseek2", 1024, 256, 4, 512, 4, 1, 96, 256, 1e-6f, 10000f, Experts: 16, ExpertsUsed: 4, ExpertFeedForward: 128,
            SharedFeedForward: 128, DeepSeek: new(96, 128, 32, 64, 1, 4, 2, true, 2.5f, 1f, 4, 64)),
        // Seed-OSS-36B: heads of 128 on a 5120-wide stream (80 query heads: q is twice the hidden size), q/k/v biases, base 1e7,
        // an untied head; tiny-seed_oss keeps the wide heads.
        new("seed-oss-36b", "seed_oss", 155136, 5120, 64, 27648, 80, 8, 128, 524288, 1e-6f, 10000000f),
        new("tiny-seed_oss", "seed_oss", 1024, 256, 4, 512, 4, 2, 128, 256, 1e-6f, 10000000f),
        // EXAONE-4.0-32B: 64 layers, three of every four sliding over 4096 positions and rotated, the fourth full and unrotated,
        // llama3 RoPE (factor 16), an untied head. tiny-exaone4 keeps the 64 layers (llama.cpp slides no other count) on a narrow
        // stream with a window of 8.
        new("exaone-4.0-32b", "exaone4", 102400, 5120, 64, 27392, 40, 8, 128, 131072, 1e-5f, 1000000f, SlidingWindow: 4096),
        new("tiny-exaone4", "exaone4", 1024, 64, 64, 128, 2, 1, 32, 256, 1e-5f, 1000000f, SlidingWindow: 8),
        // Hunyuan-0.5B-Instruct: heads of 128 (q twice the hidden size), q/k norms after RoPE, NTK-alpha RoPE written as its base
        // 10000 · 1000^(128/126), the 256K context the converter writes, a tied head.
        new("hunyuan-0.5b", "hunyuan-dense", 120818, 1024, 24, 3584, 16, 8, 128, 262144, 1e-5f, 11158840f),
        new("tiny-hunyuan-dense", "hunyuan-dense", 1024, 256, 4, 512, 4, 2, 128, 256, 1e-5f, 11158840f),
        // Hunyuan-A13B: Hunyuan dense's attention over 64 experts top-8 and a shared MLP, all as wide as feed_forward_length (llama.cpp's
        // hunyuan-moe sizes the experts by it); tiny-hunyuan-moe likewise.
        new("hunyuan-a13b", "hunyuan-moe", 128167, 4096, 32, 3072, 32, 8, 128, 262144, 1e-5f, 11158840f, Experts: 64, ExpertsUsed: 8, ExpertFeedForward: 3072,
            SharedFeedForward: 3072),
        new("tiny-hunyuan-moe", "hunyuan-moe", 1024, 256, 4, 128, 4, 2, 64, 256, 1e-5f, 11158840f, Experts: 8, ExpertsUsed: 2, ExpertFeedForward: 128,
            SharedFeedForward: 128),
        // AFM-4.5B: an ungated relu² MLP, YaRN RoPE (factor 20 over 4096 positions), an untied head; tiny-arcee keeps the YaRN.
        new("afm-4.5b", "arcee", 128004, 2560, 36, 18432, 20, 4, 128, 65536, 1e-5f, 10000f),
        new("tiny-arcee", "arcee", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-5f, 10000f),
        // Mistral-Small-3.1-24B's language model as llama.cpp's converter now writes it (mistral3: Llama's graph, Q/K permuted),
        // RoPE base 1e9, heads of 128 (q narrower than the 5120 stream), an untied head.
        new("mistral-small-3.1-24b", "mistral3", 131072, 5120, 40, 32768, 32, 8, 128, 131072, 1e-5f, 1000000000f),
        new("tiny-mistral3", "mistral3", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-5f, 1000000000f),
        // Apertus-8B: an ungated xIELU MLP (per-layer scalars as xielu.* arrays), per-head q/k norms, llama3 RoPE (factor
        // 8, base 12e6), an untied head.
        new("apertus-8b", "apertus", 131072, 4096, 32, 21504, 32, 8, 128, 65536, 1e-5f, 12000000f),
        new("tiny-apertus", "apertus", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-5f, 12000000f),
        // GLM-4.5-Air (46 layers and a next-token-prediction block, the first dense; 128 experts top-8 of 1408 and one shared, sigmoid
        // with selection bias, renormalised, × 1; no q/k norms) and GLM-4.5 (92 + 1, 160 experts × 2.5, q/k norms): heads of 128 of
        // which half rotate, q/k/v biases. tiny-glm4moe has GLM-4.5's norms and scale, two of four groups searched, a nextn block.
        new("glm-4.5-air", "glm4moe", 151552, 4096, 46, 10944, 96, 8, 128, 131072, 1e-5f, 1000000f, Experts: 128, ExpertsUsed: 8, ExpertFeedForward: 1408,
            SharedFeedForward: 1408, Routing: new(1, 1, 1, 1f, false, 1)),
        new("glm-4.5", "glm4moe", 151552, 5120, 92, 12288, 96, 8, 128, 131072, 1e-5f, 1000000f, Experts: 160, ExpertsUsed: 8, ExpertFeedForward: 1536,
            SharedFeedForward: 1536, Routing: new(3, 1, 1, 2.5f, true, 1)),
        new("tiny-glm4moe", "glm4moe", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-5f, 1000000f, Experts: 16, ExpertsUsed: 4, ExpertFeedForward: 128,
            SharedFeedForward: 128, Routing: new(1, 4, 2, 2.5f, true, 1)),
        // dots.llm1 (62 layers, the first dense; 128 experts top-6 of 1408 and two shared, sigmoid with selection bias, renormalised,
        // × 2.5; Qwen 3's q/k norms, heads of 128 with a key/value head each — llama.cpp's dots1 has no grouped query attention —
        // base 1e7); tiny-dots1 likewise.
        new("dots.llm1", "dots1", 152064, 4096, 62, 10944, 32, 32, 128, 32768, 1e-5f, 10000000f, Experts: 128, ExpertsUsed: 6, ExpertFeedForward: 1408,
            SharedFeedForward: 2816, Routing: new(1, 1, 1, 2.5f, true, 0)),
        new("tiny-dots1", "dots1", 1024, 256, 4, 512, 4, 4, 64, 256, 1e-5f, 10000000f, Experts: 8, ExpertsUsed: 2, ExpertFeedForward: 128,
            SharedFeedForward: 256, Routing: new(1, 1, 1, 2.5f, true, 0)),
        // Ling-lite (bailingmoe): Llama attention (the converter splits query_key_value and permutes q/k), 64 experts top-6 of
        // 1408 and two shared in every layer, renormalised; an untied head. tiny-bailingmoe likewise.
        new("ling-lite", "bailingmoe", 126464, 2048, 28, 5632, 16, 4, 128, 16384, 1e-6f, 600000f, Experts: 64, ExpertsUsed: 6, ExpertFeedForward: 1408,
            SharedFeedForward: 2816),
        new("tiny-bailingmoe", "bailingmoe", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-6f, 600000f, Experts: 8, ExpertsUsed: 2, ExpertFeedForward: 128,
            SharedFeedForward: 256),
        // Ling-mini-2.0 (bailingmoe2): fused attn_qkv, q/k norms, half of each head rotated; one dense layer, then 256 experts top-8
        // of 512 in 4 of 8 groups, sigmoid with selection bias, renormalised × 2.5, one shared expert. tiny-bailingmoe2 likewise
        // with a next-token-prediction block.
        new("ling-mini-2.0", "bailingmoe2", 157184, 2048, 20, 5120, 16, 4, 128, 32768, 1e-6f, 600000f, Experts: 256, ExpertsUsed: 8, ExpertFeedForward: 512,
            SharedFeedForward: 512, Routing: new(1, 8, 4, 2.5f, true, 0)),
        new("tiny-bailingmoe2", "bailingmoe2", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-6f, 600000f, Experts: 16, ExpertsUsed: 4, ExpertFeedForward: 128,
            SharedFeedForward: 128, Routing: new(1, 4, 2, 2.5f, true, 1)),
        // LFM2's published shapes: 16 layers, attention on layers 2, 5, 8, 10, 12 and 14, the rest short convolutions of 3 taps.
        new("lfm2-350m", "lfm2", 65536, 1024, 16, 4608, 16, 8, 64, 128000, 1e-5f, 1000000f),
        new("lfm2-700m", "lfm2", 65536, 1536, 16, 6912, 24, 8, 64, 128000, 1e-5f, 1000000f),
        new("lfm2-1.2b", "lfm2", 65536, 2048, 16, 8192, 32, 8, 64, 128000, 1e-5f, 1000000f),
        new("tiny-lfm2", "lfm2", 1024, 256, 6, 512, 4, 2, 64, 256, 1e-5f, 1000000f),
        // LFM2-8B-A1B (lfm2moe; config recalled, unverified): LFM2's layers, two dense ones of 7168, then 32 experts top-4 of 1792
        // chosen by sigmoid plus selection bias, renormalised. tiny-lfm2-moe: one dense layer, 8 experts top-2.
        new("lfm2-8b-a1b", "lfm2moe", 65536, 2048, 24, 7168, 32, 8, 64, 128000, 1e-5f, 1000000f, Experts: 32, ExpertsUsed: 4, ExpertFeedForward: 1792),
        new("tiny-lfm2-moe", "lfm2moe", 1024, 256, 6, 512, 4, 2, 64, 256, 1e-5f, 1000000f, Experts: 8, ExpertsUsed: 2, ExpertFeedForward: 128),
        // gemma-4-E2B's text model as recalled from its published config (not verified here): 35 layers of 1536, 4 sliding to 1 full,
        // 20 sharing, per-layer inputs of 256, double-wide MLPs.
        new("gemma-4-e2b", "gemma4", 262144, 1536, 35, 6144, 8, 1, 256, 131072, 1e-6f, 1000000f, SlidingWindow: 512,
            Gemma4: new SynthGemma4(FullHeadDim: 512, FullKvHeads: 1, SharedKvLayers: 20, PerLayerInput: 256, Period: 5, DoubleWide: true, KeysAsValues: false)),
        new("tiny-gemma4", "gemma4", 1024, 256, 6, 512, 4, 2, 64, 256, 1e-6f, 1000000f, SlidingWindow: 8,
            Gemma4: new SynthGemma4(FullHeadDim: 128, FullKvHeads: 1, SharedKvLayers: 3, PerLayerInput: 32, Period: 3, DoubleWide: true, KeysAsValues: true)),
        // gemma-4-26B-A4B's text model as recalled from its published config (not verified here): 30 layers of 2816, 5 sliding (1024)
        // to 1 full, heads of 256 (full 512 with 2 key heads, keys as values), no sharing or per-layer inputs, an MLP of 2112 beside
        // 8 of 128 experts of 704.
        new("gemma-4-26b-a4b", "gemma4", 262144, 2816, 30, 2112, 16, 8, 256, 262144, 1e-6f, 1000000f, SlidingWindow: 1024,
            Experts: 128, ExpertsUsed: 8, ExpertFeedForward: 704,
            Gemma4: new SynthGemma4(FullHeadDim: 512, FullKvHeads: 2, SharedKvLayers: 0, PerLayerInput: 0, Period: 6, DoubleWide: false, KeysAsValues: true)),
        new("tiny-gemma4-moe", "gemma4", 1024, 256, 6, 256, 4, 2, 64, 256, 1e-6f, 1000000f, SlidingWindow: 8, Experts: 8, ExpertsUsed: 2, ExpertFeedForward: 128,
            Gemma4: new SynthGemma4(FullHeadDim: 128, FullKvHeads: 1, SharedKvLayers: 0, PerLayerInput: 0, Period: 3, DoubleWide: false, KeysAsValues: true)),
        // gemma-3n-E2B's and E4B's text models, checked against transcriptions of their published configs (2026-11-25): 4 sliding
        // layers of 512 to 1 full, the last 10 (15) sharing, per-layer inputs of 256, Laurel of rank 64, the first 10 gates sparse. tiny-gemma3n keeps
        // what llama.cpp's gemma3n hard-codes (per-layer width 256, Laurel rank 64, four streams, 10 sparse layers, KV from the first 20).
        new("gemma-3n-e2b", "gemma3n", 262400, 2048, 30, 8192, 8, 2, 256, 32768, 1e-6f, 1000000f, SlidingWindow: 512,
            Gemma3n: new SynthGemma3n(SharedKvLayers: 10, PerLayerInput: 256, LaurelRank: 64, SparseLayers: 10)),
        new("gemma-3n-e4b", "gemma3n", 262400, 2048, 35, 16384, 8, 2, 256, 32768, 1e-6f, 1000000f, SlidingWindow: 512,
            Gemma3n: new SynthGemma3n(SharedKvLayers: 15, PerLayerInput: 256, LaurelRank: 64, SparseLayers: 10)),
        new("tiny-gemma3n", "gemma3n", 1024, 256, 22, 512, 4, 2, 64, 256, 1e-6f, 1000000f, SlidingWindow: 8,
            Gemma3n: new SynthGemma3n(SharedKvLayers: 2, PerLayerInput: 256, LaurelRank: 64, SparseLayers: 10)),
        // Granite 4.0 hybrid: Mamba2 layers (48 heads of 64 over 2 × hidden, state 128, one B/C group, 4 taps) with attention on
        // layers 5, 15, 25 and 35, 64 experts top-6 of 512 and a shared MLP of 1024 in every layer, no positions.
        new("granite-4.0-h-tiny", "granitehybrid", 100352, 1536, 40, 512, 12, 4, 128, 131072, 1e-5f, 10000f, Experts: 64, ExpertsUsed: 6, ExpertFeedForward: 512, SharedFeedForward: 1024),
        new("tiny-granitehybrid", "granitehybrid", 1024, 256, 6, 128, 4, 2, 64, 256, 1e-5f, 10000f, Experts: 8, ExpertsUsed: 2, ExpertFeedForward: 128, SharedFeedForward: 192),
        // Nemotron-H-8B (recalled, unverified): Mamba2 blocks of 128 heads of 64 over 2 × hidden, 8 groups, state 128; attention heads
        // of 128 without positions; relu² MLPs of 21504. tiny-nemotron-h, and tiny-nemotron-h-moe's experts (8 top-2 of 128 with a
        // shared expert of 192, sigmoid with selection bias, renormalised × 2.5).
        new("nemotron-h-8b", "nemotron_h", 131072, 4096, 52, 21504, 32, 8, 128, 8192, 1e-5f, 10000f),
        new("tiny-nemotron-h", "nemotron_h", 1024, 256, 6, 512, 4, 2, 64, 256, 1e-5f, 10000f),
        new("tiny-nemotron-h-moe", "nemotron_h_moe", 1024, 256, 6, 0, 4, 2, 64, 256, 1e-5f, 10000f, Experts: 8, ExpertsUsed: 2, ExpertFeedForward: 128,
            SharedFeedForward: 192),
        // Falcon-H1-0.5B (recalled, unverified): a Mamba2 mixer (24 heads of 64, one group, state 128, no norm) beside attention
        // in each of 36 layers, its multipliers folded into the weights as the converter does. tiny-falcon-h1 likewise.
        new("falcon-h1-0.5b", "falcon-h1", 32784, 1024, 36, 2048, 8, 2, 64, 16384, 1e-5f, 100000000000f),
        new("tiny-falcon-h1", "falcon-h1", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-5f, 100000f),
        // Plain Mamba2 (state-spaces/mamba2-130m as llama.cpp converts it: vocabulary padded to 16, no heads, no feed-forward).
        new("mamba2-130m", "mamba2", 50288, 768, 24, 0, 0, 0, 0, 1048576, 1e-5f, 0f),
        new("tiny-mamba2", "mamba2", 1024, 256, 4, 0, 0, 0, 0, 256, 1e-5f, 0f),
        // Mamba 1: state-spaces/mamba-130m-hf as llama.cpp's MambaModel converts it (no heads, no feed-forward, a tied head) and
        // Falcon-Mamba-7B (recalled, unverified: 64 layers of 4096, dt/B/C RMS-normed); Jamba-v0.1 (recalled, unverified): attention on
        // every 8th layer from 4, 16 experts top-2 on every other layer from 1, an untied head.
        new("mamba-130m", "mamba", 50280, 768, 24, 0, 0, 0, 0, 1048576, 1e-5f, 0f),
        new("tiny-mamba", "mamba", 1024, 256, 4, 0, 0, 0, 0, 256, 1e-5f, 0f),
        new("falcon-mamba-7b", "mamba", 65024, 4096, 64, 0, 0, 0, 0, 1048576, 1e-5f, 0f),
        new("tiny-falcon-mamba", "mamba", 1024, 256, 4, 0, 0, 0, 0, 256, 1e-5f, 0f),
        new("jamba-v0.1", "jamba", 65536, 4096, 32, 14336, 32, 8, 128, 262144, 1e-6f, 0f, Experts: 16, ExpertsUsed: 2, ExpertFeedForward: 14336),
        new("tiny-jamba", "jamba", 1024, 256, 8, 512, 4, 2, 64, 256, 1e-6f, 0f, Experts: 4, ExpertsUsed: 2, ExpertFeedForward: 512),
        // Qwen3-Next and Qwen3.5: Gated DeltaNet layers with gated attention on every 4th (head_dim 256, a quarter rotated). Sizes as
        // recalled from the published configs, not checked against a download: Qwen3-Next-80B-A3B (512 experts, 10 used, a shared
        // one), Qwen3.5-0.8B (16 key and value heads of 128 in its DeltaNet), Qwen3.5-35B-A3B (256 experts, 8 used).
        new("qwen3-next-80b-a3b", "qwen3next", 151936, 2048, 48, 5120, 16, 2, 256, 262144, 1e-6f, 10000000f, Experts: 512, ExpertsUsed: 10, ExpertFeedForward: 512, SharedFeedForward: 512),
        new("qwen3.5-0.8b", "qwen35", 248320, 1024, 24, 3584, 8, 2, 256, 262144, 1e-6f, 10000000f),
        new("qwen3.5-35b-a3b", "qwen35moe", 248320, 2048, 40, 512, 16, 2, 256, 262144, 1e-6f, 10000000f, Experts: 256, ExpertsUsed: 8, ExpertFeedForward: 512, SharedFeedForward: 512),
        new("tiny-qwen3next", "qwen3next", 1024, 256, 8, 128, 4, 2, 64, 256, 1e-6f, 10000000f, Experts: 8, ExpertsUsed: 2, ExpertFeedForward: 128, SharedFeedForward: 192),
        new("tiny-qwen35", "qwen35", 1024, 256, 8, 512, 4, 2, 64, 256, 1e-6f, 10000000f),
        new("tiny-qwen35moe", "qwen35moe", 1024, 256, 8, 128, 4, 2, 64, 256, 1e-6f, 10000000f, Experts: 8, ExpertsUsed: 2, ExpertFeedForward: 128, SharedFeedForward: 192),
        new("tiny-gpt-oss", "gpt-oss", 1024, 256, 4, 256, 4, 2, 64, 4096, 1e-5f, 150000f, SlidingWindow: 8, Experts: 8, ExpertsUsed: 4, ExpertFeedForward: 256),
        // Ollama's embedding models as llama.cpp converts them: BERT (all-minilm = all-MiniLM-L6-v2, mxbai-embed-large), nomic-bert
        // (rotary base 1000, context cut to 2048 by the converter), XLM-RoBERTa written as bert (bge-m3: position offset removed, one token type).
        new("all-minilm", "bert", 30522, 384, 6, 1536, 12, 12, 32, 512, 1e-12f, 0f, Pooling: 1, TokenTypes: 2),
        new("mxbai-embed-large", "bert", 30522, 1024, 24, 4096, 16, 16, 64, 512, 1e-12f, 0f, Pooling: 2, TokenTypes: 2),
        new("nomic-embed-text", "nomic-bert", 30522, 768, 12, 3072, 12, 12, 64, 2048, 1e-12f, 1000f, Pooling: 1, TokenTypes: 2),
        new("bge-m3", "bert", 250002, 1024, 24, 4096, 16, 16, 64, 8192, 1e-5f, 0f, Pooling: 2, TokenTypes: 1),
        new("tiny-bert", "bert", 1024, 128, 2, 256, 4, 4, 32, 512, 1e-12f, 0f, Pooling: 1, TokenTypes: 2),
        new("tiny-nomic-bert", "nomic-bert", 1024, 128, 2, 256, 4, 4, 32, 512, 1e-12f, 1000f, Pooling: 1, TokenTypes: 2),
        new("tiny-xlm-roberta", "bert", 1024, 128, 2, 256, 4, 4, 32, 512, 1e-5f, 0f, Pooling: 2, TokenTypes: 1),
    ];

    /// <summary>The known shape called <paramref name="name"/>, or null.</summary>
    public static SynthShape? Find(string name)
    {
        foreach (var s in Known)
            if (string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase)) return s;
        return null;
    }
}

/// <summary>
/// DeepSeek's multi-head latent attention and routing in a <see cref="SynthShape"/> (whose HeadDim is the key head, KvHeads the 1
/// the converter writes): query rank (0: none), key/value rank, rotated dimensions, value head, dense leading layers, expert groups
/// and groups searched, sigmoid rather than softmax scores (with a selection bias), routed scaling, yarn's mscale_all_dim, factor
/// and original context.
/// </summary>
public sealed record SynthDeepSeek(int QLoraRank, int KvLoraRank, int RopeDim, int ValueDim, int LeadingDense, int Groups, int GroupsUsed,
    bool Sigmoid, float RoutedScale, float MscaleAllDim, float YarnFactor, int YarnOriginalContext);

/// <summary>
/// DeepSeek-style routing over ordinary attention (glm4moe, dots1, bailingmoe2) in a <see cref="SynthShape"/>: dense leading layers, expert
/// groups and groups searched, routed scaling, sigmoid scores with a selection bias always; per-head q/k norms where optional
/// (GLM-4.5 has them, 4.5-Air not; dots1 always); next-token-prediction blocks after the model's own (written, skipped when run).
/// </summary>
public sealed record SynthRouting(int LeadingDense, int Groups, int GroupsUsed, float RoutedScale, bool QkNorm, int NextN);

/// <summary>
/// Gemma 4's shape beyond a <see cref="SynthShape"/>: the full layers' head size and key/value heads (every <paramref name="Period"/>-th
/// layer attends in full, and the last), the last <paramref name="SharedKvLayers"/> layers sharing keys and values (with double-wide
/// MLPs), per-layer inputs of <paramref name="PerLayerInput"/> (0: none), keys as values on the full layers.
/// </summary>
public sealed record SynthGemma4(int FullHeadDim, int FullKvHeads, int SharedKvLayers, int PerLayerInput, int Period, bool DoubleWide, bool KeysAsValues);

/// <summary>
/// Gemma 3n's shape beyond a <see cref="SynthShape"/> (every fifth layer full, four AltUp streams): the last <paramref name="SharedKvLayers"/>
/// layers sharing keys and values, per-layer inputs of <paramref name="PerLayerInput"/>, Laurel of <paramref name="LaurelRank"/>, the
/// first <paramref name="SparseLayers"/> layers' gates keeping their top 5 %.
/// </summary>
public sealed record SynthGemma3n(int SharedKvLayers, int PerLayerInput, int LaurelRank, int SparseLayers);
