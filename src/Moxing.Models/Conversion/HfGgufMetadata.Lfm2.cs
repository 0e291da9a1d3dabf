using Moxing.Core.Formats.HuggingFace;
using Moxing.Models.Decoder;

namespace Moxing.Models.Conversion;

public static partial class HfGgufMetadata
{
    // LFM2Model.set_gguf_parameters: head_count_kv per layer (0 on the convolution layers), the convolution's taps, the vocabulary
    // size, the MLP width Lfm2MLP computes (DecoderOptions already holds it). llama.cpp's lfm2 and lfm2moe have no convolution biases.
    // LFM2MoeModel's too, with TextModel's expert counts, the experts' width, the dense lead and sigmoid gating; llama.cpp's lfm2moe
    // always renormalises, never scales and needs exp_probs_b, so configs that differ are refused.
    private static void AddLfm2(Dictionary<string, object> m, DecoderOptions o, HfConfig config, string architecture)
    {
        void Arch(string key, object value) => m[$"{architecture}.{key}"] = value;
        if (config.GetBool("conv_bias", false)) throw config.Error("conv_bias", $"is true; llama.cpp's {architecture} has no biases on its short convolutions");
        var conv = o.ShortConv!;
        Arch("attention.head_count_kv", Enumerable.Range(0, o.LayerCount).Select(i => conv.IsConv(i) ? 0u : (uint)o.KvHeadCount).ToArray());
        Arch("shortconv.l_cache", (uint)conv.Kernel);
        Arch("vocab_size", (uint)o.VocabSize);
        if (o.Moe is not { } moe) return;
        if (!moe.NormalizeTopK) throw config.Error("norm_topk_prob", "is false; llama.cpp's lfm2moe renormalises the chosen experts' weights");
        if (moe.RoutedScale != 1f) throw config.Error("routed_scaling_factor", $"is {moe.RoutedScale}; llama.cpp's lfm2moe does not scale the chosen experts' weights");
        if (!config.GetBool("use_expert_bias", true)) throw config.Error("use_expert_bias", "is false; llama.cpp's lfm2moe needs each sparse layer's expert bias");
        Arch("expert_count", (uint)moe.ExpertCount);
        Arch("expert_used_count", (uint)moe.ExpertsUsed);
        Arch("expert_feed_forward_length", (uint)moe.ExpertFeedForward);
        Arch("leading_dense_block_count", (uint)moe.DenseLayers.Count(d => d));
        Arch("expert_gating_func", 2u);
    }
}
