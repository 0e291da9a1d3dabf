using Moxing.Core;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Layers;

namespace Moxing.Models.Families;

/// <summary>
/// StableLM (HF and GGUF `stablelm`; stablelm-2-1_6b, stablelm-zephyr-3b, stable-code-3b, stablelm-2-12b): Llama attention and
/// SwiGLU MLP with LayerNorms (with bias), a quarter of each head rotated (partial_rotary_factor, NEOX pairs), optional q/k/v
/// biases (use_qkv_bias), optional parallel residual (use_parallel_residual: no MLP norm) and optional per-head q/k LayerNorms
/// (qk_layernorm: one nn.LayerNorm per head, stacked into [heads, head_dim] as llama.cpp's converter does), an untied head.
/// </summary>
public sealed class StableLmFamily : IDecoderFamily
{
    // StableLmConfig's default for the one key whose absence the shared reader would take otherwise.
    private const string Defaults = """{"partial_rotary_factor": 0.25}""";

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["stablelm"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["stablelm"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = DecoderTensorNames.HuggingFace with
    {
        QNorm = "model.layers.{i}.self_attn.q_layernorm.weight",
        KNorm = "model.layers.{i}.self_attn.k_layernorm.weight",
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DecoderTensorNames.Gguf;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var c = config.WithDefaults(Defaults);
        var o = c.Common("stablelm");
        if (o.HeadDim * o.HeadCount != o.HiddenSize)
            throw c.Error("hidden_size", $"is {o.HiddenSize}; StableLM needs num_attention_heads × head_dim ({o.HeadCount} × {o.HeadDim})");
        return StableLm(o) with
        {
            NormEps = c.GetFloat("layer_norm_eps", 1e-5f),
            Activation = HfActivation.Read(c, "hidden_act", "silu"),
            ParallelBlock = c.GetBool("use_parallel_residual", false),
            QkNorm = c.GetBool("qk_layernorm", false),
        };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        // llama.cpp goes by the tensors: no ffn_norm means a parallel residual, attn_q_norm per-head q/k norms (stablelm-2-12b).
        var o = new GgufHyperParameters(file).Common(RopeStyle.Half);
        return StableLm(o) with
        {
            ParallelBlock = file.Find("blk.0.ffn_norm.weight") == null,
            QkNorm = file.Find("blk.0.attn_q_norm.weight") != null,
        };
    }

    /// <inheritdoc />
    public IReadOnlyList<DerivedTensor> DerivedHfTensors(ITensorSource tensors, DecoderOptions options, string path)
    {
        if (!options.QkNorm) return [];
        var derived = new List<DerivedTensor>();
        for (var l = 0; l < options.LayerCount; l++)
        {
            derived.Add(PerHead(tensors, path, DecoderTensorNames.ForLayer(HfNames.QNorm!, l), options.HeadCount, options.HeadDim));
            derived.Add(PerHead(tensors, path, DecoderTensorNames.ForLayer(HfNames.KNorm!, l), options.KvHeadCount, options.HeadDim));
        }
        return derived;
    }

    // StableLmLayerNormPerHead's norms.{h}.weight, one per head, as one [heads, head_dim] F32 tensor named `name`.
    private static unsafe DerivedTensor PerHead(ITensorSource tensors, string path, string name, int heads, int headDim)
    {
        var prefix = name[..^".weight".Length];
        var parts = Enumerable.Range(0, heads).Select(h => tensors.Find($"{prefix}.norms.{h}.weight")
            ?? throw new InvalidModelFileException(path, $"tensor '{prefix}.norms.{h}.weight' is missing (qk_layernorm is true)")).ToArray();
        return new DerivedTensor(name, DType.F32, [heads, headDim], [.. parts.Select(p => p.Name)], target =>
        {
            var values = new Span<float>((void*)target, heads * headDim);
            for (var h = 0; h < heads; h++) parts[h].ToFloats(headDim, path).CopyTo(values.Slice(h * headDim, headDim));
        });
    }

    private static DecoderOptions StableLm(DecoderOptions o) => o with { Norm = NormKind.Layer, QkNormPerHeadWeights = true };
}
