using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Conversion;

public static partial class HfGgufMetadata
{
    // Gemma3Model.set_gguf_parameters (key/value length, the full layers' RoPE base, the local base as freq_base_swa, window,
    // soft-cap) and Gemma3NModel's: AltUp's streams and active one, the per-layer inputs' width, the sharing layers, each layer's
    // sparsity as the normal quantile (−∞ for none), which layers slide, and the MLP widths per layer when the config lists them.
    private static void AddGemma3n(Dictionary<string, object> m, DecoderOptions o, HfConfig text)
    {
        void Arch(string key, object value) => m[$"gemma3n.{key}"] = value;
        // Gemma3NModel asserts four streams, the only count llama.cpp's gemma3n runs.
        if (o.AltUp!.Streams != 4) throw text.Error("altup_num_inputs", $"is {o.AltUp.Streams}; llama.cpp's gemma3n converter takes 4 AltUp streams only");
        var rope = o.Rope!;
        if (rope.Scaling != RopeScaling.Default || o.SlidingRope is { Scaling: not RopeScaling.Default })
            throw text.Error("rope_parameters", "scales RoPE, which llama.cpp's gemma3n converter does not write");
        Arch("attention.key_length", (uint)o.HeadDim);
        Arch("attention.value_length", (uint)o.HeadDim);
        Arch("rope.freq_base", (float)rope.Theta);
        Arch("rope.freq_base_swa", (float)(o.SlidingRope ?? rope).Theta);
        if (o.FinalLogitSoftCap > 0) Arch("final_logit_softcapping", o.FinalLogitSoftCap);
        Arch("attention.sliding_window", (uint)o.SlidingWindows.Max());
        Arch("attention.sliding_window_pattern", Enumerable.Range(0, o.LayerCount).Select(l => o.WindowOf(l) > 0).ToArray());
        Arch("altup.active_idx", (uint)o.AltUp.ActiveStream);
        Arch("altup.num_inputs", (uint)o.AltUp.Streams);
        Arch("embedding_length_per_layer_input", (uint)o.PerLayerInputSize);
        Arch("attention.shared_kv_layers", (uint)o.KvSources.Count(s => s >= 0));
        Arch("activation_sparsity_scale", Enumerable.Range(0, o.LayerCount).Select(l => o.GateSparsityOf(l) ?? float.NegativeInfinity).ToArray());
        if (o.FeedForwardLengths.Length > 0) Arch("feed_forward_length", o.FeedForwardLengths.Select(f => (uint)f).ToArray());
    }
}
