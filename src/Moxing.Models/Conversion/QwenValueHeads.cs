using Moxing.Core.Quantization;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;

namespace Moxing.Models.Conversion;

/// <summary>
/// llama.cpp's _LinearAttentionVReorderBase (Qwen3.5): with fewer key heads than value heads, the value heads of every Gated DeltaNet
/// tensor move from grouped order (key head g's value heads together: g·r + j) to tiled order (j·key heads + g), so that value head
/// h reads key head h mod key heads — the q·k·v projection's and the convolution's value rows, the gate's rows, β's and the decay's
/// rows, A and dt_bias, out_proj's columns.
/// </summary>
internal static class QwenValueHeads
{
    /// <summary>Whether GGUF tensor <paramref name="gguf"/> has value heads to reorder under <paramref name="o"/>.</summary>
    public static bool Tiles(string gguf, DecoderOptions o) =>
        o.DeltaNet is { } d && d.KeyHeads != d.ValueHeads && Layout(gguf, d) != null;

    /// <summary>Reorders the value heads of tensor <paramref name="gguf"/> (laid out as <paramref name="header"/> says) in place.</summary>
    public static unsafe void Tile(string gguf, TensorHeader header, DeltaNetOptions d, byte* data)
    {
        var (prefix, unit, columns) = Layout(gguf, d)!.Value;
        var elements = header.Shape.Aggregate(1L, (a, s) => a * s);
        var elementBytes = header.Type.ByteCount(elements) / elements;
        // The permuted axis: rows of a matrix (or elements of a vector), or out_proj's columns within each of its rows.
        long axis = columns ? header.Shape[^1] : header.Shape[0], outer = columns ? elements / axis : 1;
        var inner = columns ? elementBytes : header.Type.ByteCount(elements) / axis;
        var copy = new Span<byte>(data, checked((int)(outer * axis * inner))).ToArray();
        int perKey = d.ValueHeads / d.KeyHeads;
        var block = unit * inner;
        fixed (byte* from = copy)
            for (long o = 0; o < outer; o++)
                for (var head = 0; head < d.ValueHeads; head++)
                {
                    var tiled = head % perKey * d.KeyHeads + head / perKey;
                    Buffer.MemoryCopy(from + (o * axis + prefix + head * unit) * inner, data + (o * axis + prefix + tiled * unit) * inner, block, block);
                }
    }

    // (entries before the value heads, entries per value head, whether columns move) of a DeltaNet tensor; null for the others.
    private static (long Prefix, long Unit, bool Columns)? Layout(string gguf, DeltaNetOptions d) => gguf[(gguf.IndexOf('.', 4) + 1)..] switch
    {
        "attn_qkv.weight" or "ssm_conv1d.weight" => (2L * d.KeyDim, d.ValueHeadDim, false),
        "attn_gate.weight" => (0, d.ValueHeadDim, false),
        "ssm_beta.weight" or "ssm_alpha.weight" or "ssm_a" or "ssm_dt.bias" => (0, 1, false),
        "ssm_out.weight" => (0, d.ValueHeadDim, true),
        _ => null,
    };
}
