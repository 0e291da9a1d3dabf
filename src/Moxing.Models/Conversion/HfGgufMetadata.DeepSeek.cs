using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Conversion;

// DeepseekV2Model.set_gguf_parameters (V3 and Kimi-K2 too): MLA as MQA over the latent, the decompressed head sizes as the _mla
// lengths, DeepSeek's routing keys, 0.1 · mscale_all_dim as yarn_log_multiplier. What llama.cpp's deepseek2 would compute otherwise
// is refused.
public static partial class HfGgufMetadata
{
    private static void AddDeepSeek(Dictionary<string, object> m, DecoderOptions o, HfConfig config)
    {
        void Arch(string key, object value) => m[$"deepseek2.{key}"] = value;
        var mla = o.Mla!;
        var rope = o.Rope!;
        if (rope.Style != RopeStyle.Interleaved)
            throw config.Error("rope_interleave", "is false; llama.cpp's deepseek2 rotates interleaved pairs and its converter does not permute q_pe/k_pe");
        var r = config.GetRope();
        if (rope.Scaling == RopeScaling.Yarn && (r.MscaleAllDim is not { } all || all == 0 || Math.Abs(rope.CosSinScale - 1) > 1e-9))
            throw config.Error("rope_scaling", "needs mscale_all_dim, and mscale equal to it (or 1): llama.cpp's deepseek2 scales cos/sin by neither and the softmax by mscale_all_dim's mscale²");
        Arch("attention.head_count_kv", 1u);
        Arch("vocab_size", (uint)o.VocabSize);
        if (mla.QLoraRank > 0) Arch("attention.q_lora_rank", (uint)mla.QLoraRank);
        Arch("attention.kv_lora_rank", (uint)mla.KvLoraRank);
        Arch("attention.key_length", (uint)(mla.KvLoraRank + mla.RopeDim));
        Arch("attention.value_length", (uint)mla.KvLoraRank);
        Arch("attention.key_length_mla", (uint)o.HeadDim);
        Arch("attention.value_length_mla", (uint)o.ValueDim);
        Arch("rope.dimension_count", (uint)mla.RopeDim);
        AddRope(m, "deepseek2", rope with { AttentionFactor = null }, config);
        if (r.MscaleAllDim is { } mscaleAll) Arch("rope.scaling.yarn_log_multiplier", (float)(0.1 * mscaleAll));
        if (o.Moe is { } moe && moe.ExpertGroups > 1 && moe.GroupScore != MoeGroupScore.SumOfTopTwo)
            throw config.Error("topk_method", "is group_limited_greedy with several groups; llama.cpp's deepseek2 ranks groups by their best two experts, not their best one");
        AddRoutedExperts(m, o, "deepseek2", config);
    }

    // The routing keys DeepseekV2Model, Glm4MoeModel, Dots1Model and BailingMoeV2Model write (TextModel's expert and group counts, the dense lead, the
    // shared experts' count, sigmoid or softmax, the scale and renormalisation) for llama.cpp's build_moe_ffn, which ranks groups by
    // their best two. The gating function is written whatever the config says (llama.cpp's default differs by architecture); a
    // group count whose groups are all searched is left out (llama.cpp asserts fewer, and searching all is no limit).
    private static void AddRoutedExperts(Dictionary<string, object> m, DecoderOptions o, string architecture, HfConfig config)
    {
        void Arch(string key, object value) => m[$"{architecture}.{key}"] = value;
        var lead = o.Moe?.DenseLayers.Count(d => d) ?? o.LayerCount;
        if (o.Moe == null && architecture != "deepseek2") throw config.Error("first_k_dense_replace", $"leaves no sparse layer; llama.cpp's {architecture} needs experts");
        Arch("leading_dense_block_count", (uint)lead);
        var ff = o.Moe?.ExpertFeedForward ?? config.GetInt("moe_intermediate_size", o.IntermediateSize);
        Arch("expert_feed_forward_length", (uint)ff);
        Arch("expert_shared_count", (uint)(o.Moe is { } sparse ? sparse.SharedFeedForward / sparse.ExpertFeedForward : config.GetInt("n_shared_experts", 0)));
        if (o.Moe is not { } moe) return;
        Arch("expert_count", (uint)moe.ExpertCount);
        Arch("expert_used_count", (uint)moe.ExpertsUsed);
        if (moe.ExpertGroupsUsed < moe.ExpertGroups)
        {
            Arch("expert_group_count", (uint)moe.ExpertGroups);
            Arch("expert_group_used_count", (uint)moe.ExpertGroupsUsed);
        }
        Arch("expert_gating_func", moe.Gating == MoeGating.Sigmoid ? 2u : 1u);
        if (config.Has("routed_scaling_factor")) Arch("expert_weights_scale", moe.RoutedScale);
        if (moe.NormalizeTopK) Arch("expert_weights_norm", true);
    }
}
