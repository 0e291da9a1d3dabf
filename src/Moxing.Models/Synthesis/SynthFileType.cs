using Moxing.Core.Quantization.Mixes;
using Moxing.Core.Tensors;

namespace Moxing.Models.Synthesis;

/// <summary>A whole-file type (llama.cpp's `general.file_type`) and the per-tensor types llama-quantize picks for it.</summary>
public sealed record SynthFileType(string Name, uint FileTypeId, DType Base)
{
    /// <summary>The file types `moxing synth --type` writes.</summary>
    public static IReadOnlyList<SynthFileType> Known { get; } =
    [
        new("F32", 0, DType.F32), new("F16", 1, DType.F16), new("BF16", 32, DType.BF16), new("Q8_0", 7, DType.Q8_0),
        new("Q4_0", 2, DType.Q4_0),
        new("Q4_K_M", 15, DType.Q4_K), new("Q6_K", 18, DType.Q6_K),
    ];

    /// <summary>The known file type called <paramref name="name"/>, or null.</summary>
    public static SynthFileType? Find(string name)
    {
        foreach (var t in Known)
            if (string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase)) return t;
        return null;
    }

    /// <summary>llama-quantize's `use_more_bits` (<see cref="TensorTypePlanner.UseMoreBits"/>).</summary>
    public static bool UseMoreBits(int layer, int layers) => TensorTypePlanner.UseMoreBits(layer, layers);

    /// <summary>The type of a 2-D weight per llama-quant.cpp; role is the name without blk.N. and .weight ("output" also for a tied token_embd).</summary>
    public DType TypeFor(string role, int layer, int layers, long columns)
    {
        if (Base is DType.F32 or DType.F16 or DType.BF16) return Base;
        var type = Base;
        if (role == "output")
        {
            // The output matrix (or tied embeddings): Q8_0 stays, anything else becomes Q6_K.
            if (columns % type.BlockSize() != 0) type = DType.Q8_0;
            else if (type != DType.Q8_0) type = DType.Q6_K;
        }
        else if (FileTypeId == 15 && (role is "attn_v" or "ffn_down" or "ffn_down_exps") && UseMoreBits(layer, layers)) type = DType.Q6_K;
        return TensorTypePlanner.Fallback(type, columns);
    }
}
