using Moxing.Core.Formats.HuggingFace;
using Moxing.Models.Decoder;

namespace Moxing.Models.Conversion;

// BailingMoeModel.set_gguf_parameters (and BailingMoeV2Model's beyond the routing keys): the vocabulary size, the dense lead, the experts' width, a weights scale of 1, the shared
// experts' count and the renormalisation. llama.cpp's bailingmoe builds every layer sparse: dense leading layers are refused.
public static partial class HfGgufMetadata
{
    private static void AddBailing(Dictionary<string, object> m, DecoderOptions o, HfConfig config)
    {
        void Arch(string key, object value) => m[$"bailingmoe.{key}"] = value;
        var moe = o.Moe!;
        if (moe.DenseLayers.Any(d => d))
            throw config.Error("first_k_dense_replace", $"is {config.GetInt("first_k_dense_replace")}; llama.cpp's bailingmoe has experts in every layer");
        Arch("vocab_size", (uint)o.VocabSize);
        Arch("leading_dense_block_count", 0u);
        Arch("expert_count", (uint)moe.ExpertCount);
        Arch("expert_used_count", (uint)moe.ExpertsUsed);
        Arch("expert_feed_forward_length", (uint)moe.ExpertFeedForward);
        Arch("expert_weights_scale", 1f);
        Arch("expert_shared_count", (uint)(moe.SharedFeedForward / moe.ExpertFeedForward));
        // BailingMoeGate renormalises only more than one expert; llama.cpp would renormalise a lone one to 1.
        Arch("expert_weights_norm", moe.NormalizeTopK);
    }

    // BailingMoeV2Model.set_gguf_parameters beyond the routing keys: the vocabulary size and the shared expert's width. llama.cpp's
    // bailingmoe2 multiplies that width by the shared count again and always norms q and k: a config with more than one shared
    // expert or without use_qk_norm would compute differently there and is refused.
    private static void AddBailingV2(Dictionary<string, object> m, DecoderOptions o, HfConfig config)
    {
        var moe = o.Moe!;
        if (moe.SharedFeedForward > 0 && config.GetInt("num_shared_experts") != 1)
            throw config.Error("num_shared_experts", $"is {config.GetInt("num_shared_experts")}; llama.cpp's bailingmoe2 sizes the shared MLP by the shared width times this count, which only one keeps right");
        if (!o.QkNorm) throw config.Error("use_qk_norm", "is false; llama.cpp's bailingmoe2 always norms q and k");
        m["bailingmoe2.vocab_size"] = (uint)o.VocabSize;
        if (moe.SharedFeedForward > 0) m["bailingmoe2.expert_shared_feed_forward_length"] = (uint)moe.SharedFeedForward;
    }
}
