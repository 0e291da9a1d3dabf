using Moxing.Core.Formats.HuggingFace;
using Moxing.Models.Decoder;

namespace Moxing.Models.Conversion;

public static partial class HfGgufMetadata
{
    // Qwen3NextModel.set_gguf_parameters (Qwen3_5TextModel's and Qwen3_5MoeTextModel's too): the head size, the ssm.* sizes of the
    // Gated DeltaNet, the layer pattern as full_attention_interval (a pattern no interval gives written as attention.recurrent_layers,
    // which llama.cpp reads first), the rotated dimensions; Qwen3.5's M-RoPE sections (mrope_section, else [11, 11, 10]) padded to 4.
    private static void AddQwen35(Dictionary<string, object> m, DecoderOptions o, HfConfig text, string architecture)
    {
        void Arch(string key, object value) => m[$"{architecture}.{key}"] = value;
        var d = o.DeltaNet!;
        Arch("attention.key_length", (uint)o.HeadDim);
        Arch("attention.value_length", (uint)o.HeadDim);
        Arch("ssm.conv_kernel", (uint)d.ConvKernel);
        Arch("ssm.state_size", (uint)d.KeyHeadDim);
        Arch("ssm.group_count", (uint)d.KeyHeads);
        Arch("ssm.time_step_rank", (uint)d.ValueHeads);
        Arch("ssm.inner_size", (uint)d.ValueDim);
        var interval = Enumerable.Range(1, o.LayerCount).FirstOrDefault(i => Enumerable.Range(0, o.LayerCount).All(l => d.IsDeltaNet(l) == ((l + 1) % i != 0)));
        if (interval > 0) Arch("full_attention_interval", (uint)interval);
        else Arch("attention.recurrent_layers", Enumerable.Range(0, o.LayerCount).Select(d.IsDeltaNet).ToArray());
        Arch("rope.dimension_count", (uint)o.Rope!.RotaryDim);
        if (architecture == "qwen3next") return;
        int[] sections = text.TryGetSection("rope_parameters", out var r) && r.Has("mrope_section") ? r.GetIntList("mrope_section")
            : text.TryGetSection("rope_scaling", out var s) && s.Has("mrope_section") ? s.GetIntList("mrope_section") : [11, 11, 10];
        Arch("rope.dimension_sections", sections.Concat(Enumerable.Repeat(0, Math.Max(0, 4 - sections.Length))).Take(4).ToArray());
    }
}
