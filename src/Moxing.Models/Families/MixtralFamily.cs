using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// Mixtral (Hugging Face): Mistral attention with a sparse MoE block per layer (block_sparse_moe: router `gate`, experts
/// w1 = gate, w3 = up, w2 = down), top-k weights renormalised. Its GGUFs are architecture "llama" (<see cref="LlamaFamily"/>).
/// </summary>
public sealed class MixtralFamily : IDecoderFamily
{
    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["mixtral"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = [];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = DecoderTensorNames.HuggingFace with
    {
        Router = "model.layers.{i}.block_sparse_moe.gate.weight",
        ExpertGate = "model.layers.{i}.block_sparse_moe.experts.{e}.w1.weight",
        ExpertUp = "model.layers.{i}.block_sparse_moe.experts.{e}.w3.weight",
        ExpertDown = "model.layers.{i}.block_sparse_moe.experts.{e}.w2.weight",
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DecoderTensorNames.Gguf;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig c)
    {
        var o = c.Common("mixtral");
        return o with
        {
            SlidingWindows = c.SlidingWindows(o.LayerCount, _ => true),
            Moe = c.Experts("num_local_experts", "intermediate_size", normalizeTopK: true),
        };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file) => new LlamaFamily().FromGguf(file);
}
