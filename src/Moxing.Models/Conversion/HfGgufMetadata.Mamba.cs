using Moxing.Core.Formats.HuggingFace;
using Moxing.Models.Decoder;

namespace Moxing.Models.Conversion;

public static partial class HfGgufMetadata
{
    // MambaModel.set_gguf_parameters (Falcon-Mamba's too): the ssm.* sizes, the time-step rank, dt_b_c_rms for falcon_mamba (llama.cpp then
    // norms with the model's epsilon, not mixer_rms_eps). JambaModel's: the same sizes, head_count_kv per layer (0 on the Mamba layers),
    // the expert counts as the config gives them (llama.cpp finds the sparse layers by their ffn_gate_inp). llama.cpp runs only an
    // expansion of 2: another is refused, as the converter asserts.
    private static void AddMamba(Dictionary<string, object> m, DecoderOptions o, HfConfig config, string architecture)
    {
        void Arch(string key, object value) => m[$"{architecture}.{key}"] = value;
        var mamba = o.Mamba!;
        if (mamba.Inner != 2 * o.HiddenSize)
            throw config.Error(architecture == "jamba" ? "mamba_expand" : "expand", $"gives {mamba.Inner} inner channels; llama.cpp's {architecture} runs only 2 × hidden_size ({2 * o.HiddenSize})");
        Arch("ssm.conv_kernel", (uint)mamba.ConvKernel);
        Arch("ssm.inner_size", (uint)mamba.Inner);
        Arch("ssm.state_size", (uint)mamba.StateSize);
        Arch("ssm.time_step_rank", (uint)mamba.TimeStepRank);
        if (architecture == "mamba")
        {
            Arch("ssm.dt_b_c_rms", mamba.SelectionNorms == MambaSelectionNorms.Unweighted);
            return;
        }
        Arch("attention.head_count_kv", Enumerable.Range(0, o.LayerCount).Select(i => o.Attends(i) ? (uint)o.KvHeadCount : 0u).ToArray());
        Arch("expert_count", (uint)config.GetInt("num_experts"));
        Arch("expert_used_count", (uint)config.GetInt("num_experts_per_tok"));
    }
}
