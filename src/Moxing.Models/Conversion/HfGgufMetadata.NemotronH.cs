using Moxing.Core.Formats.HuggingFace;
using Moxing.Models.Decoder;

namespace Moxing.Models.Conversion;

public static partial class HfGgufMetadata
{
    // NemotronHModel.set_gguf_parameters (over GraniteHybridModel's): head_count_kv per layer (the attention blocks'), feed_forward_length
    // per layer (intermediate_size, or moe_intermediate_size with experts, on the feed-forward blocks; 0 elsewhere), the ssm.* sizes,
    // rope.scaling.finetuned false and a context of 2^20; the head size; llama.cpp reads both norm epsilons. With experts
    // (nemotron_h_moe) the expert counts and widths, the shared expert's, renormalisation, scale and group count. llama.cpp's
    // nemotron_h_moe makes every feed-forward block sparse: a mixture-of-experts config with MLP blocks is refused.
    private static void AddNemotronH(Dictionary<string, object> m, DecoderOptions o, HfConfig config, string architecture)
    {
        void Arch(string key, object value) => m[$"{architecture}.{key}"] = value;
        var mamba = o.Mamba!;
        var moe = o.Moe;
        if (moe != null && Enumerable.Range(0, o.LayerCount).Any(i => o.IsFeedForwardBlock(i) && !moe.IsSparse(i)))
            throw config.Error("hybrid_override_pattern", "has MLP blocks (-) beside expert blocks (E); llama.cpp's nemotron_h_moe makes every feed-forward block sparse");
        Arch("attention.head_count_kv", Enumerable.Range(0, o.LayerCount).Select(i => o.Attends(i) ? (uint)o.KvHeadCount : 0u).ToArray());
        var width = moe?.ExpertFeedForward ?? o.IntermediateSize;
        Arch("feed_forward_length", Enumerable.Range(0, o.LayerCount).Select(i => o.IsFeedForwardBlock(i) ? (uint)width : 0u).ToArray());
        Arch("attention.layer_norm_epsilon", o.NormEps);
        Arch("ssm.conv_kernel", (uint)mamba.ConvKernel);
        Arch("ssm.state_size", (uint)mamba.StateSize);
        Arch("ssm.group_count", (uint)mamba.Groups);
        Arch("ssm.inner_size", (uint)mamba.Inner);
        Arch("ssm.time_step_rank", (uint)mamba.Heads);
        Arch("rope.scaling.finetuned", false);
        Arch("context_length", 1u << 20);
        if (moe == null) return;
        Arch("expert_count", (uint)moe.ExpertCount);
        Arch("expert_used_count", (uint)moe.ExpertsUsed);
        Arch("expert_feed_forward_length", (uint)moe.ExpertFeedForward);
        Arch("expert_shared_feed_forward_length", (uint)config.GetInt("moe_shared_expert_intermediate_size"));
        Arch("expert_shared_count", (uint)config.GetInt("n_shared_experts"));
        Arch("expert_weights_norm", moe.NormalizeTopK);
        Arch("expert_weights_scale", moe.RoutedScale);
        Arch("expert_group_count", (uint)moe.ExpertGroups);
    }
}
