using Moxing.Models.Decoder;

namespace Moxing.Models.Conversion;

public static partial class HfGgufMetadata
{
    // FalconH1Model.set_gguf_parameters (over Mamba2Model's): the vocabulary size and the ssm.* sizes (inner_size mamba_d_ssm,
    // time_step_rank the heads); the attention keys as any model writes them. Its multipliers are folded into the weights, not written.
    private static void AddFalconH1(Dictionary<string, object> m, DecoderOptions o)
    {
        var mamba = o.Mamba!;
        m["falcon-h1.vocab_size"] = (uint)o.VocabSize;
        m["falcon-h1.ssm.conv_kernel"] = (uint)mamba.ConvKernel;
        m["falcon-h1.ssm.state_size"] = (uint)mamba.StateSize;
        m["falcon-h1.ssm.group_count"] = (uint)mamba.Groups;
        m["falcon-h1.ssm.inner_size"] = (uint)mamba.Inner;
        m["falcon-h1.ssm.time_step_rank"] = (uint)mamba.Heads;
    }
}
