using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Conversion;

public static partial class HfGgufMetadata
{
    // GPTNeoXModel, BloomModel, MPTModel and StarCoderModel.set_gguf_parameters: the converter writes 4 × hidden as the MLP width of
    // the last three (a checkpoint with another could not be loaded by llama.cpp); GPT-NeoX its rotated dimensions and parallel
    // residual (a base other than llama.cpp's default 10000 is written rather than lost), MPT its ALiBi exponent and clamp.
    private static void AddClassic(Dictionary<string, object> m, DecoderOptions o, HfConfig config, string architecture)
    {
        void Arch(string key, object value) => m[$"{architecture}.{key}"] = value;
        if (architecture != "gptneox" && o.IntermediateSize != 4 * o.HiddenSize)
            throw config.Error(architecture == "starcoder" ? "n_inner" : "intermediate_size",
                $"is {o.IntermediateSize}; llama.cpp's {architecture} converter writes 4 × the hidden size ({4 * o.HiddenSize}) as the MLP width");
        switch (architecture)
        {
            case "gptneox":
                var rope = o.Rope!;
                if (rope.Scaling != RopeScaling.Default) throw config.Error("rope_scaling", $"is {rope.Scaling}; llama.cpp's gptneox converter writes no RoPE scaling");
                Arch("rope.dimension_count", (uint)rope.RotaryDim);
                if (rope.Theta != 10000) Arch("rope.freq_base", (float)rope.Theta);
                Arch("use_parallel_residual", o.ParallelBlock);
                break;
            case "mpt":
                Arch("attention.max_alibi_bias", o.AlibiMaxBias);
                if (o.QkvClip > 0) Arch("attention.clamp_kqv", o.QkvClip);
                if (o.AttentionScale is { } scale && Math.Abs(scale * MathF.Sqrt(o.HeadDim) - 1) > 1e-6)
                    throw config.Error("attn_config", $"sets softmax_scale {scale}; llama.cpp's mpt scales q·k by 1/sqrt(head_dim)");
                break;
            case "starcoder" when o.AttentionScale != null:
                throw config.Error("scale_attn_weights", "is false; llama.cpp's starcoder scales q·k by 1/sqrt(head_dim)");
        }
    }
}
