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
        Arch("leading_dense_block_count", (uint)(o.Moe == null ? o.LayerCount : config.GetInt("first_k_dense_replace", 0)));
        if (mla.QLoraRank > 0) Arch("attention.q_lora_rank", (uint)mla.QLoraRank);
        Arch("attention.kv_lora_rank", (uint)mla.KvLoraRank);
        Arch("attention.key_length", (uint)(mla.KvLoraRank + mla.RopeDim));
        Arch("attention.value_length", (uint)mla.KvLoraRank);
        Arch("attention.key_length_mla", (uint)o.HeadDim);
        Arch("attention.value_length_mla", (uint)o.ValueDim);
        Arch("expert_feed_forward_length", (uint)config.GetInt("moe_intermediate_size", o.IntermediateSize));
        Arch("expert_shared_count", (uint)config.GetInt("n_shared_experts", 0));
        Arch("rope.dimension_count", (uint)mla.RopeDim);
        AddRope(m, "deepseek2", rope with { AttentionFactor = null }, config);
        if (r.MscaleAllDim is { } mscaleAll) Arch("rope.scaling.yarn_log_multiplier", (float)(0.1 * mscaleAll));
        if (o.Moe is not { } moe) return;
        // llama.cpp ranks expert groups by their best two scores whatever topk_method says.
        if (moe.ExpertGroups > 1 && moe.GroupScore != MoeGroupScore.SumOfTopTwo)
            throw config.Error("topk_method", "is group_limited_greedy with several groups; llama.cpp's deepseek2 ranks groups by their best two experts, not their best one");
        Arch("expert_count", (uint)moe.ExpertCount);
        Arch("expert_used_count", (uint)moe.ExpertsUsed);
        if (config.Has("n_group")) Arch("expert_group_count", (uint)moe.ExpertGroups);
        if (config.Has("topk_group")) Arch("expert_group_used_count", (uint)moe.ExpertGroupsUsed);
        // Written whatever the config says (the converter only when scoring_func is given): llama.cpp would take softmax for V3 otherwise.
        Arch("expert_gating_func", moe.Gating == MoeGating.Sigmoid ? 2u : 1u);
        if (config.Has("routed_scaling_factor")) Arch("expert_weights_scale", moe.RoutedScale);
        if (moe.NormalizeTopK) Arch("expert_weights_norm", true);
    }
}
