using Moxing.Core.Formats.HuggingFace;
using Moxing.Models.Decoder;

namespace Moxing.Models.Conversion;

public static partial class HfGgufMetadata
{
    // LFM2Model.set_gguf_parameters: head_count_kv per layer (0 on the convolution layers), the convolution's taps, the vocabulary
    // size, the MLP width Lfm2MLP computes (DecoderOptions already holds it). llama.cpp's lfm2 has no convolution biases.
    private static void AddLfm2(Dictionary<string, object> m, DecoderOptions o, HfConfig config)
    {
        if (config.GetBool("conv_bias", false)) throw config.Error("conv_bias", "is true; llama.cpp's lfm2 has no biases on its short convolutions");
        var conv = o.ShortConv!;
        m["lfm2.attention.head_count_kv"] = Enumerable.Range(0, o.LayerCount).Select(i => conv.IsConv(i) ? 0u : (uint)o.KvHeadCount).ToArray();
        m["lfm2.shortconv.l_cache"] = (uint)conv.Kernel;
        m["lfm2.vocab_size"] = (uint)o.VocabSize;
    }
}
