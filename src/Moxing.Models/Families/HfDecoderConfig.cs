using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>Reads the HF config keys shared by llama-like decoders into <see cref="DecoderOptions"/>.</summary>
public static class HfDecoderConfig
{
    /// <summary>The options every llama-like architecture shares, from the standard HF keys; RoPE left to the family without <paramref name="rope"/> (Gemma 4's own types).</summary>
    public static DecoderOptions Common(this HfConfig c, string architecture, bool rope = true)
    {
        var hidden = c.GetInt("hidden_size");
        var heads = c.GetInt("num_attention_heads");
        if (heads <= 0) throw c.Error("num_attention_heads", "must be positive");
        var headDim = c.GetInt("head_dim", hidden / heads);
        var kvHeads = c.GetInt("num_key_value_heads", heads);
        if (kvHeads <= 0 || heads % kvHeads != 0)
            throw c.Error("num_key_value_heads", $"is {kvHeads}; num_attention_heads ({heads}) must be a multiple of it");
        return new DecoderOptions
        {
            Architecture = architecture,
            VocabSize = c.GetInt("vocab_size"),
            HiddenSize = hidden,
            LayerCount = c.GetInt("num_hidden_layers"),
            HeadCount = heads,
            KvHeadCount = kvHeads,
            HeadDim = headDim,
            // MatFormer configs (Gemma 3n) give one width per layer: the first here, the family reads the rest.
            IntermediateSize = c.GetIntList("intermediate_size") is [var first, ..] ? first : c.GetInt("intermediate_size"),
            MaxContext = c.GetInt("max_position_embeddings", 2048),
            NormEps = c.GetFloat("rms_norm_eps", 1e-6f),
            Rope = rope ? c.Rope(headDim, c.GetInt("max_position_embeddings", 2048)) : null,
        };
    }

    /// <summary>
    /// The mixture of experts of a Qwen-MoE / OLMoE / Mixtral config: <paramref name="countKey"/> experts of
    /// <paramref name="feedForwardKey"/> channels, num_experts_per_tok used; Qwen-MoE's shared expert, mlp_only_layers and
    /// decoder_sparse_step where present. <paramref name="normalizeTopK"/> null reads norm_topk_prob (transformers' default false).
    /// Null when no layer is sparse.
    /// </summary>
    public static MoeOptions? Experts(this HfConfig c, string countKey, string feedForwardKey, bool? normalizeTopK = null)
    {
        var count = c.GetInt(countKey);
        var layers = c.GetInt("num_hidden_layers");
        var denseOnly = c.GetIntList("mlp_only_layers");
        var step = c.GetInt("decoder_sparse_step", 1);
        if (step < 1) throw c.Error("decoder_sparse_step", $"is {step}; it must be at least 1");
        // transformers' Qwen2MoeDecoderLayer: sparse where not listed in mlp_only_layers, there are experts and (i + 1) % step == 0.
        var dense = Enumerable.Range(0, layers).Select(i => denseOnly.Contains(i) || count == 0 || (i + 1) % step != 0).ToArray();
        if (dense.All(d => d)) return null;
        return new MoeOptions
        {
            ExpertCount = count,
            ExpertsUsed = c.GetInt("num_experts_per_tok"),
            ExpertFeedForward = c.GetInt(feedForwardKey),
            NormalizeTopK = normalizeTopK ?? c.GetBool("norm_topk_prob", false),
            SharedFeedForward = c.GetInt("shared_expert_intermediate_size", 0),
            DenseLayers = dense.Any(d => d) ? dense : [],
        };
    }

    /// <summary>
    /// RoPE for heads of <paramref name="headDim"/> from either config layout (via <see cref="HfConfig.GetRope"/>); with
    /// per-layer-type settings, those of <paramref name="layerType"/>.
    /// </summary>
    public static RopeConfig Rope(this HfConfig c, int headDim, int maxPositions, string layerType = "full_attention")
    {
        var r = c.GetRope(layerType: layerType);
        var scaling = r.Type switch
        {
            RopeType.Default => RopeScaling.Default,
            RopeType.Linear => RopeScaling.Linear,
            RopeType.Llama3 => RopeScaling.Llama3,
            RopeType.Yarn => RopeScaling.Yarn,
            RopeType.LongRope => RopeScaling.LongRope,
            RopeType.Dynamic => RopeScaling.DynamicNtk,
            _ => throw c.Error("rope_type", $"is {r.Type}, which is not a RoPE scaling Moxing knows"),
        };
        var rotaryDim = (int)(headDim * r.PartialRotaryFactor);
        double? attentionFactor = scaling is RopeScaling.Yarn or RopeScaling.LongRope ? r.AttentionFactor : null;
        if (scaling == RopeScaling.Yarn && attentionFactor == null && r.Mscale is > 0 && r.MscaleAllDim is > 0)
        {
            static double Mscale(double scale, double m) => scale <= 1 ? 1 : 0.1 * m * Math.Log(scale) + 1;
            attentionFactor = Mscale(r.Factor, r.Mscale.Value) / Mscale(r.Factor, r.MscaleAllDim.Value);
        }
        if (scaling == RopeScaling.LongRope)
        {
            PerPair(c, "short_factor", r.ShortFactor!, rotaryDim);
            PerPair(c, "long_factor", r.LongFactor!, rotaryDim);
        }
        // Dynamic NTK grows the base beyond max_position_embeddings, whatever original_max_position_embeddings says (transformers).
        var original = scaling == RopeScaling.DynamicNtk ? maxPositions : r.OriginalMaxPositionEmbeddings ?? maxPositions;
        return new RopeConfig(r.Theta, rotaryDim, RopeStyle.Half, scaling, r.Factor,
            original, r.LowFreqFactor ?? 1, r.HighFreqFactor ?? 4,
            r.BetaFast ?? 32, r.BetaSlow ?? 1, attentionFactor, YarnTruncate: r.Truncate ?? true,
            ShortFactors: r.ShortFactor, LongFactors: r.LongFactor);
    }

    private static void PerPair(HfConfig c, string key, float[] factors, int rotaryDim)
    {
        var section = c.Has("rope_parameters") ? "rope_parameters" : "rope_scaling";
        if (factors.Length != rotaryDim / 2)
            throw c.Error(section, $"has {factors.Length} numbers in {key}; the {rotaryDim} rotated dimensions need {rotaryDim / 2}");
        if (factors.Any(f => !(f > 0) || float.IsInfinity(f)))
            throw c.Error(section, $"has a number in {key} that is not positive and finite");
    }

    /// <summary>Sliding window per layer: `layer_types` when present, else <paramref name="slidingLayer"/> says which layers slide.</summary>
    public static int[] SlidingWindows(this HfConfig c, int layers, Func<int, bool> slidingLayer)
    {
        var window = c.GetInt("sliding_window", 0);
        var types = c.GetStringList("layer_types");
        var result = new int[layers];
        for (var i = 0; i < layers; i++)
        {
            var sliding = i < types.Length ? types[i] == "sliding_attention" : slidingLayer(i);
            result[i] = sliding ? window : 0;
        }
        return result;
    }
}
