using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Conversion;

public static partial class HfGgufMetadata
{
    // Gemma4Model.set_gguf_parameters: the full layers' head size as key_length (the sliding ones' as key_length_swa) and rotated
    // dimensions, both RoPE bases, the window and which layers slide, the sharing layers, the per-layer inputs' width, MLP widths and
    // key/value heads per layer where they differ; with experts TextModel's expert_count and expert_used_count and the experts' width
    // (no shared width: llama.cpp's gemma4 runs the MLP as it is). The proportional RoPE's unrotated pairs go out as rope_freqs.weight.
    private static void AddGemma4(Dictionary<string, object> m, DecoderOptions o, HfConfig text)
    {
        void Arch(string key, object value) => m[$"gemma4.{key}"] = value;
        var full = Enumerable.Range(0, o.LayerCount).First(l => o.WindowOf(l) == 0);
        var rope = o.Rope!;
        // llama.cpp's gemma4 requires rope_freqs.weight, which the converter writes for proportional RoPE alone.
        if (rope.FrequencyFactors == null) throw text.Error("rope_parameters", "rotates the full layers by default RoPE; llama.cpp's gemma4 converter takes proportional RoPE only");
        if (rope.Scaling != RopeScaling.Default)
            throw text.Error("rope_parameters", "scales the full layers' RoPE by a factor, which llama.cpp's gemma4 converter does not write");
        Arch("attention.key_length", (uint)o.HeadDimOf(full));
        Arch("attention.value_length", (uint)o.HeadDimOf(full));
        Arch("attention.key_length_swa", (uint)o.HeadDim);
        Arch("attention.value_length_swa", (uint)o.HeadDim);
        Arch("rope.freq_base", (float)rope.Theta);
        Arch("rope.dimension_count", (uint)rope.RotaryDim);
        if (o.SlidingRope is { } sliding)
        {
            Arch("rope.freq_base_swa", (float)sliding.Theta);
            Arch("rope.dimension_count_swa", (uint)sliding.RotaryDim);
        }
        Arch("attention.sliding_window", (uint)o.SlidingWindows.Max());
        Arch("attention.sliding_window_pattern", Enumerable.Range(0, o.LayerCount).Select(l => o.WindowOf(l) > 0).ToArray());
        Arch("attention.shared_kv_layers", (uint)o.KvSources.Count(s => s >= 0));
        Arch("embedding_length_per_layer_input", (uint)o.PerLayerInputSize);
        if (o.FinalLogitSoftCap > 0) Arch("final_logit_softcapping", o.FinalLogitSoftCap);
        if (o.FeedForwardLengths.Length > 0) Arch("feed_forward_length", o.FeedForwardLengths.Select(f => (uint)f).ToArray());
        if (o.Moe is { } moe)
        {
            Arch("expert_count", (uint)moe.ExpertCount);
            Arch("expert_used_count", (uint)moe.ExpertsUsed);
            Arch("expert_feed_forward_length", (uint)moe.ExpertFeedForward);
        }
        if (o.FullKvHeadCount > 0) Arch("attention.head_count_kv", Enumerable.Range(0, o.LayerCount).Select(l => (uint)o.KvHeadsOf(l)).ToArray());
    }
}
