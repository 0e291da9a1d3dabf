using Moxing.Core;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;

namespace Moxing.Inference.Sessions;

/// <summary>The KV cache storage types a user may choose — F16 (default), Q8_0 (8.5 bits per value: twice the sequences in the
/// same memory, as llama.cpp's q8_0 cache types) and F32 — and which one a model can hold.</summary>
public static class KvCacheType
{
    /// <summary>The names users write, for messages.</summary>
    public const string Names = "f16, q8_0 or f32";

    /// <summary>The type named <paramref name="name"/> (any case); a <see cref="MoxingException"/> naming <paramref name="setting"/> otherwise.</summary>
    public static DType Parse(string name, string setting) => name.Trim().ToLowerInvariant() switch
    {
        "f16" => DType.F16,
        "q8_0" => DType.Q8_0,
        "f32" => DType.F32,
        _ => throw new MoxingException($"{setting} must be {Names}, got '{name}'"),
    };

    /// <summary><paramref name="wanted"/>, or F16 for a model whose key or value head dimension is not a whole number of its blocks (Q8_0: 32).</summary>
    public static DType For(DecoderOptions model, DType wanted) =>
        model.HeadDim % wanted.BlockSize() == 0 && model.ValueDim % wanted.BlockSize() == 0 ? wanted : DType.F16;
}
