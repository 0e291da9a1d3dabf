using Moxing.Core.Formats.HuggingFace;
using Moxing.Models.Decoder;

namespace Moxing.Models.Conversion;

public static partial class HfGgufMetadata
{
    // GraniteHybridModel.set_gguf_parameters: GraniteMoeModel's keys (written with the other granite architectures), the ssm.*
    // sizes, head_count_kv per layer (0 on the Mamba2 layers), rope.scaling.finetuned false and a context of 2^20 as the hybrid
    // models use no positions. A folder without Mamba2 layers the converter writes as granite/granitemoe: refused here. The
    // feed-forward width written is the one the layers have (a dense model's shared MLP), as llama.cpp sizes ffn_gate by it.
    private static void AddGraniteHybrid(Dictionary<string, object> m, DecoderOptions o, HfConfig config)
    {
        var mamba = o.Mamba!;
        if (!mamba.Layers.Any(l => l)) throw config.Error("layer_types", "has no mamba layer; llama.cpp's converter writes such a model as granite or granitemoe");
        if (o.Rope != null) throw config.Error("position_embedding_type", "is rope; llama.cpp's granitehybrid rotates only models without Mamba2 layers");
        m["granitehybrid.attention.head_count_kv"] = Enumerable.Range(0, o.LayerCount).Select(i => mamba.IsMamba(i) ? 0u : (uint)o.KvHeadCount).ToArray();
        m["granitehybrid.ssm.conv_kernel"] = (uint)mamba.ConvKernel;
        m["granitehybrid.ssm.state_size"] = (uint)mamba.StateSize;
        m["granitehybrid.ssm.group_count"] = (uint)mamba.Groups;
        m["granitehybrid.ssm.inner_size"] = (uint)mamba.Inner;
        m["granitehybrid.ssm.time_step_rank"] = (uint)mamba.Heads;
        m["granitehybrid.rope.scaling.finetuned"] = false;
        m["granitehybrid.context_length"] = 1u << 20;
    }
}
