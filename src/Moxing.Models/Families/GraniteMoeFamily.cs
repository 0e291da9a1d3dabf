using Moxing.Core;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Layers;

namespace Moxing.Models.Families;

/// <summary>
/// Granite MoE (granite-3.0-1b-a400m, granite-3.1-3b-a800m) and Granite MoE Shared: Granite's four multipliers with a sparse
/// mixture of experts in every layer, the top-k router logits softmaxed among themselves (transformers' GraniteMoeTopKGating,
/// llama.cpp's renormalised top-k); granitemoeshared adds an ungated shared MLP to the experts' sum. The checkpoint stacks
/// each layer's experts (`input_linear` [experts, 2·ff, hidden], gate rows then up rows; `output_linear` [experts, hidden, ff])
/// and fuses the shared MLP's gate and up the same way; the halves are split as convert_hf_to_gguf.py splits them.
/// </summary>
public sealed class GraniteMoeFamily : IDecoderFamily
{
    private const string Moe = "model.layers.{i}.block_sparse_moe.";
    private const string Shared = "model.layers.{i}.shared_mlp.";

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["granitemoe", "granitemoeshared"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["granitemoe"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = DecoderTensorNames.HuggingFace with
    {
        Router = Moe + "router.layer.weight",
        ExpertGate = Moe + "input_linear.gate.weight",
        ExpertUp = Moe + "input_linear.up.weight",
        ExpertDown = Moe + "output_linear.weight",
        SharedGate = Shared + "input_linear.gate.weight",
        SharedUp = Shared + "input_linear.up.weight",
        SharedDown = Shared + "output_linear.weight",
        SharedExpertGate = null,
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames { get; } = DecoderTensorNames.Gguf with { SharedExpertGate = null };

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig c)
    {
        var type = c.GetString("model_type");
        if (c.GetString("position_embedding_type", "rope") != "rope")
            throw c.Error("position_embedding_type", $"is '{c.GetString("position_embedding_type")}'; only rope is supported");
        var moe = c.Experts("num_local_experts", "intermediate_size", normalizeTopK: true)
                  ?? throw c.Error("num_local_experts", "is 0; a Granite MoE without experts is not supported");
        var o = GraniteFamily.Multipliers(c, c.Common(type));
        return o with { Moe = moe with { SharedFeedForward = type == "granitemoeshared" ? c.GetInt("shared_intermediate_size", 0) : 0 } };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var o = GraniteFamily.FromGguf(p, file);
        // llama.cpp reads the shared expert's width from expert_shared_feed_forward_length, its experts' from feed_forward_length.
        var moe = p.Experts(o.IntermediateSize, normalizeTopK: true, sharedExpert: p.Has("expert_shared_feed_forward_length"))
                  ?? throw new InvalidModelFileException(file.FilePath, "key 'granitemoe.expert_count' is missing or 0; a Granite MoE needs experts");
        return o with { Moe = moe };
    }

    /// <inheritdoc />
    public IReadOnlyList<DerivedTensor> DerivedHfTensors(ITensorSource tensors, DecoderOptions options, string path)
    {
        var moe = options.Moe!;
        var find = new PrefixedTensors(tensors, "model.");
        var result = new List<DerivedTensor>();
        for (var layer = 0; layer < options.LayerCount; layer++)
        {
            result.AddRange(Halves(find, path, HfNames.ExpertGate!, HfNames.ExpertUp!, layer, [moe.ExpertCount, 2L * moe.ExpertFeedForward, options.HiddenSize]));
            if (moe.SharedFeedForward > 0)
                result.AddRange(Halves(find, path, HfNames.SharedGate!, HfNames.SharedUp!, layer, [2L * moe.SharedFeedForward, options.HiddenSize]));
        }
        return result;
    }

    /// <summary>
    /// The fused `input_linear.weight` (or the tensor <paramref name="fused"/> names) of layer <paramref name="layer"/> split into its
    /// gate rows (the first half of each matrix) and up rows.
    /// </summary>
    internal static IEnumerable<DerivedTensor> Halves(PrefixedTensors find, string path, string gate, string up, int layer, long[] shape, string? fused = null)
    {
        string gateName = DecoderTensorNames.ForLayer(gate, layer), upName = DecoderTensorNames.ForLayer(up, layer);
        var fusedName = fused != null ? DecoderTensorNames.ForLayer(fused, layer) : gateName.Replace("input_linear.gate.weight", "input_linear.weight", StringComparison.Ordinal);
        var stored = find.Find(fusedName) ?? throw new InvalidModelFileException(path, $"tensor '{fusedName}' is missing");
        if (!stored.Shape.SequenceEqual(shape))
            throw new InvalidModelFileException(path, $"tensor '{fusedName}' has shape [{string.Join(", ", stored.Shape)}], expected [{string.Join(", ", shape)}] from the model's configuration");
        long[] half = [.. shape[..^2], shape[^2] / 2, shape[^1]];
        yield return Half(gateName, stored, half, 0);
        yield return Half(upName, stored, half, 1);
    }

    // Half `part` of every [2·rows, cols] matrix of the fused tensor: whole rows, so any row-major type copies as bytes.
    private static unsafe DerivedTensor Half(string name, StoredTensor fused, long[] half, int part) =>
        new(name, fused.Type, half, [fused.Name], target =>
        {
            var matrices = half[..^2].Aggregate(1L, (a, d) => a * d);
            var bytes = fused.Type.ByteCount(half[^2] * half[^1]);
            for (long m = 0; m < matrices; m++)
                Buffer.MemoryCopy(fused.Data + (2 * m + part) * bytes, (byte*)target + m * bytes, bytes, bytes);
        });
}
