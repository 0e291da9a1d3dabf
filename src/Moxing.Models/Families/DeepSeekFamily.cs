using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// DeepSeek-V2 / V2-Lite / V3 (HF `deepseek_v2`, `deepseek_v3`, Kimi-K2's `kimi_k2`; GGUF `deepseek2`): multi-head latent attention
/// (<see cref="MlaOptions"/>; the rotary part interleaved, softmax scale 1/√(q head dim) × yarn's mscale(factor, mscale_all_dim)²),
/// first_k_dense_replace dense layers, then routed experts plus n_shared_experts as one ungated MLP. Routing: V2's softmax,
/// greedy or group_limited_greedy (groups by their best expert); V3's sigmoid scores, e_score_correction_bias for choosing,
/// groups by their best two; norm_topk_prob, then routed_scaling_factor. DeepSeek's own modeling code is followed where
/// transformers' V2 port differs (it leaves out the mscale and norm_topk_prob; llama.cpp does as DeepSeek's code).
/// </summary>
public sealed class DeepSeekFamily : IDecoderFamily
{
    // DeepseekV3Config's routing defaults (V2's are transformers' DeepseekV2Config: greedy softmax, no groups, no shared experts).
    private const string V3Defaults = """
        {"n_routed_experts": 256, "n_shared_experts": 1, "num_experts_per_tok": 8, "n_group": 8, "topk_group": 4,
         "first_k_dense_replace": 3, "norm_topk_prob": true, "routed_scaling_factor": 2.5, "topk_method": "noaux_tc", "scoring_func": "sigmoid"}
        """;

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["deepseek_v2", "deepseek_v3", "kimi_k2"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["deepseek2"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = RoutedHfNames with
    {
        QA = "model.layers.{i}.self_attn.q_a_proj.weight",
        QANorm = "model.layers.{i}.self_attn.q_a_layernorm.weight",
        QB = "model.layers.{i}.self_attn.q_b_proj.weight",
        KvA = "model.layers.{i}.self_attn.kv_a_proj_with_mqa.weight",
        KvANorm = "model.layers.{i}.self_attn.kv_a_layernorm.weight",
        KvB = "model.layers.{i}.self_attn.kv_b_proj.weight",
    };

    /// <summary>HF names of DeepseekV3MoE's experts (GLM-4.5's, dots.llm1's): ungated shared_experts, the router's e_score_correction_bias.</summary>
    internal static DecoderTensorNames RoutedHfNames { get; } = DecoderTensorNames.HuggingFace with
    {
        SharedGate = "model.layers.{i}.mlp.shared_experts.gate_proj.weight",
        SharedUp = "model.layers.{i}.mlp.shared_experts.up_proj.weight",
        SharedDown = "model.layers.{i}.mlp.shared_experts.down_proj.weight",
        SharedExpertGate = null,
        ExpertSelectionBias = "model.layers.{i}.mlp.gate.e_score_correction_bias",
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames { get; } = RoutedGgufNames with
    {
        QA = "blk.{i}.attn_q_a.weight",
        QANorm = "blk.{i}.attn_q_a_norm.weight",
        QB = "blk.{i}.attn_q_b.weight",
        KvA = "blk.{i}.attn_kv_a_mqa.weight",
        KvANorm = "blk.{i}.attn_kv_a_norm.weight",
        KvB = "blk.{i}.attn_kv_b.weight",
        KB = "blk.{i}.attn_k_b.weight",
        VB = "blk.{i}.attn_v_b.weight",
    };

    /// <summary>llama.cpp's names with ungated shared experts and the expert-selection bias exp_probs_b (deepseek2, glm4moe, dots1, ernie4_5-moe).</summary>
    internal static DecoderTensorNames RoutedGgufNames { get; } = DecoderTensorNames.Gguf with
    {
        SharedExpertGate = null,
        ExpertSelectionBias = "blk.{i}.exp_probs_b.bias",
    };

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var v3 = config.GetString("model_type") != "deepseek_v2";
        var c = v3 ? config.WithDefaults(V3Defaults) : config;
        int heads = c.GetInt("num_attention_heads"), rope = c.GetInt("qk_rope_head_dim"), nope = c.GetInt("qk_nope_head_dim");
        int valueDim = c.GetInt("v_head_dim"), kvRank = c.GetInt("kv_lora_rank");
        // V2-Lite sets q_lora_rank to null: one q projection.
        if (!c.Keys.Contains("q_lora_rank")) throw c.Error("q_lora_rank", "is missing; DeepSeek configs set it (null for no query compression)");
        var qRank = c.Has("q_lora_rank") ? c.GetInt("q_lora_rank") : 0;
        foreach (var (key, value) in new[] { ("qk_rope_head_dim", rope), ("qk_nope_head_dim", nope), ("v_head_dim", valueDim), ("kv_lora_rank", kvRank) })
            if (value < 1) throw c.Error(key, $"is {value}; it must be positive");
        if (rope % 2 != 0) throw c.Error("qk_rope_head_dim", $"is {rope}; rotated dimensions come in pairs");
        if (qRank < 0) throw c.Error("q_lora_rank", $"is {qRank}; it must be positive or null");
        if (c.TryGetInt("head_dim", out var headDim) && headDim != rope)
            throw c.Error("head_dim", $"is {headDim}; DeepSeek's rotary embedding spans qk_rope_head_dim ({rope})");
        if (c.GetInt("num_key_value_heads", heads) != heads)
            throw c.Error("num_key_value_heads", $"is {c.GetInt("num_key_value_heads")}; multi-head latent attention gives every one of the {heads} heads its keys and values");
        var o = c.Common(c.GetString("model_type"));
        var ropeConfig = c.Rope(rope, o.MaxContext) with { Style = v3 && !c.GetBool("rope_interleave", true) ? RopeStyle.Half : RopeStyle.Interleaved };
        return o with
        {
            KvHeadCount = heads,
            HeadDim = nope + rope,
            ValueHeadDim = valueDim,
            Mla = new MlaOptions { QLoraRank = qRank, KvLoraRank = kvRank, RopeDim = rope },
            Rope = ropeConfig,
            AttentionScale = AttentionScale(c, nope + rope),
            Moe = Experts(c, v3, o.LayerCount),
        };
    }

    // DeepseekV3Attention (and DeepSeek's V2 code): head_dim^-0.5, times mscale² when rope_scaling sets mscale_all_dim.
    private static float AttentionScale(HfConfig c, int headDim)
    {
        var r = c.GetRope();
        var mscale = r.MscaleAllDim is { } all && all != 0 ? Mscale(r.Factor, all) : 1;
        return (float)(mscale * mscale / Math.Sqrt(headDim));
    }

    /// <summary>yarn_get_mscale: 0.1 · m · ln(scale) + 1 past a scale of 1.</summary>
    internal static double Mscale(double scale, double m) => scale <= 1 ? 1 : 0.1 * m * Math.Log(scale) + 1;

    private static MoeOptions? Experts(HfConfig c, bool v3, int layers)
    {
        if (!c.Has("n_routed_experts")) return null;
        var sigmoid = c.GetString("scoring_func", v3 ? "sigmoid" : "softmax") switch
        {
            "softmax" => false,
            "sigmoid" => true,
            var other => throw c.Error("scoring_func", $"is '{other}'; expected softmax or sigmoid"),
        };
        // DeepSeek's V2 code either renormalises or scales; V3's (and llama.cpp) do both.
        if (!v3 && c.GetBool("norm_topk_prob", false) && c.GetFloat("routed_scaling_factor", 1f) is var scale && scale != 1f)
            throw c.Error("routed_scaling_factor", $"is {scale} with norm_topk_prob; DeepSeek-V2's code would not scale renormalised weights, V3's and llama.cpp would");
        return RoutedExperts(c, layers, c.GetString("topk_method", "greedy"), sigmoid);
    }

    /// <summary>
    /// DeepSeek's routed experts from an HF config (GLM-4.5's and dots.llm1's too, whose code is DeepseekV3's noaux_tc): n_routed_experts
    /// of moe_intermediate_size after first_k_dense_replace dense layers, num_experts_per_tok chosen by <paramref name="method"/>
    /// (greedy, group_limited_greedy or noaux_tc over n_group groups, topk_group searched) from softmax or <paramref name="sigmoid"/>
    /// scores, norm_topk_prob, routed_scaling_factor, n_shared_experts as one MLP. Ling 2.0 names the counts
    /// <paramref name="expertsKey"/> and <paramref name="sharedKey"/> (num_experts, num_shared_experts).
    /// </summary>
    internal static MoeOptions RoutedExperts(HfConfig c, int layers, string method, bool sigmoid, string expertsKey = "n_routed_experts",
        string sharedKey = "n_shared_experts")
    {
        var lead = c.GetInt("first_k_dense_replace", 0);
        if (c.GetInt("moe_layer_freq", 1) != 1) throw c.Error("moe_layer_freq", $"is {c.GetInt("moe_layer_freq")}; only experts in every layer after first_k_dense_replace are supported");
        if (lead < 0 || lead >= layers) throw c.Error("first_k_dense_replace", $"is {lead}; it must leave some of the {layers} layers sparse");
        var experts = c.GetInt(expertsKey);
        var (groups, used, score) = method switch
        {
            "greedy" => (1, 1, MoeGroupScore.Max),
            "group_limited_greedy" => (c.GetInt("n_group"), c.GetInt("topk_group"), MoeGroupScore.Max),
            "noaux_tc" => (c.GetInt("n_group", 1), c.GetInt("topk_group", 1), MoeGroupScore.SumOfTopTwo),
            _ => throw c.Error("topk_method", $"is '{method}'; expected greedy, group_limited_greedy or noaux_tc"),
        };
        if (groups < 1 || experts % groups != 0) throw c.Error("n_group", $"is {groups}; it must divide {expertsKey} ({experts})");
        if (used < 1 || used > groups) throw c.Error("topk_group", $"is {used}; it must be between 1 and n_group ({groups})");
        var ff = c.GetInt("moe_intermediate_size");
        return new MoeOptions
        {
            ExpertCount = experts,
            ExpertsUsed = c.GetInt("num_experts_per_tok"),
            ExpertFeedForward = ff,
            NormalizeTopK = c.GetBool("norm_topk_prob", false),
            SharedFeedForward = c.GetInt(sharedKey, 0) * ff,
            DenseLayers = lead > 0 ? [.. Enumerable.Range(0, layers).Select(i => i < lead)] : [],
            Gating = sigmoid ? MoeGating.Sigmoid : MoeGating.Softmax,
            ExpertGroups = groups,
            ExpertGroupsUsed = used,
            GroupScore = score,
            RoutedScale = c.GetFloat("routed_scaling_factor", 1f),
        };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var rope = p.Int("rope.dimension_count");
        var headDim = p.Int("attention.key_length_mla", p.Int("attention.key_length"));
        var valueDim = p.Int("attention.value_length_mla", p.Int("attention.value_length"));
        if (headDim <= rope)
            throw new InvalidModelFileException(file.FilePath, $"key 'deepseek2.attention.key_length_mla' is {headDim}; it must exceed the {rope} rotated dimensions");
        var o = p.Common(RopeStyle.Interleaved);
        var yarn = o.Rope!.Scaling == RopeScaling.Yarn;
        // llama.cpp's deepseek2: the converter writes 0.1 · mscale_all_dim as yarn_log_multiplier; with it cos/sin are scaled by
        // rope.scaling.attn_factor alone (mscale taken equal to mscale_all_dim), without it by yarn's 1 + 0.1 ln(factor); the
        // softmax scale is that factor times mscale(factor, mscale_all_dim), squared, over √(head dim).
        var mscaleAll = p.Float("rope.scaling.yarn_log_multiplier", 0f) / 0.1;
        var cosSin = !yarn ? 1 : p.Float("rope.scaling.attn_factor", 1f) * (mscaleAll != 0 ? 1 : Mscale(o.Rope.Factor, 1));
        var scale = !yarn ? 1 : cosSin * Mscale(o.Rope.Factor, mscaleAll);
        return o with
        {
            KvHeadCount = o.HeadCount,
            HeadDim = headDim,
            ValueHeadDim = valueDim,
            Mla = new MlaOptions { QLoraRank = p.Int("attention.q_lora_rank", 0), KvLoraRank = p.Int("attention.kv_lora_rank"), RopeDim = rope },
            Rope = yarn ? o.Rope with { AttentionFactor = cosSin } : o.Rope,
            AttentionScale = (float)(scale * scale / Math.Sqrt(headDim)),
            Moe = p.RoutedExperts(o.LayerCount, MoeGating.Softmax),
        };
    }
}
