using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// OLMo (1) (HF `olmo`, GGUF `olmo`; OLMo-1B-hf, OLMo-7B-hf, OLMo-7B-0424/0724-hf): Llama with non-parametric LayerNorms (no
/// weight, no bias, epsilon 1e-5) and, where clip_qkv is set, queries, keys and values clamped to ±clip_qkv after their
/// projections; tied or untied head.
/// </summary>
public sealed class OlmoFamily : IDecoderFamily
{
    /// <summary>OlmoLayerNorm's epsilon, fixed in transformers and written so by llama.cpp's converter.</summary>
    public const float NormEpsilon = 1e-5f;

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["olmo"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["olmo"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames => DecoderTensorNames.HuggingFace;

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DecoderTensorNames.Gguf;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig c)
    {
        // Absent or null: no clamp.
        if (!c.TryGetFloat("clip_qkv", out var clip)) clip = 0;
        else if (!(clip > 0) || float.IsInfinity(clip)) throw c.Error("clip_qkv", $"is {clip}; it must be positive and finite (or null for none)");
        return Olmo(c.Common("olmo")) with { QkvClip = clip };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        // llama.cpp clamps only when attention.clamp_kqv is above 0.
        return Olmo(p.Common(RopeStyle.Interleaved)) with { QkvClip = Math.Max(p.Float("attention.clamp_kqv", 0f), 0f) };
    }

    private static DecoderOptions Olmo(DecoderOptions o) => o with { Norm = NormKind.Layer, NormsWithoutWeights = true, NormEps = NormEpsilon };
}
