using Moxing.Core;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// Phi-3.5-MoE (HF and GGUF `phimoe`): Mixtral's layout with LayerNorms (with bias) everywhere, q/k/v/o biases, an untied head
/// with a bias, LongRoPE whose cos/sin are scaled by the config's short_mscale/long_mscale, and 16 experts routed top-2 by
/// transformers' sparsemixer at inference (<see cref="MoeOptions.SparseMixerJitter"/>). GGUFs are read with the same math,
/// so a converted file computes as its folder does; llama.cpp's phimoe graph differs (RMS norms plus bias, softmax top-2
/// renormalised), see docs/MODELS.md.
/// </summary>
public sealed class PhiMoeFamily : IDecoderFamily
{
    /// <summary>transformers' PhimoeConfig default router_jitter_noise, Phi-3.5-MoE's own; GGUFs do not store it.</summary>
    public const float DefaultJitter = 0.01f;

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["phimoe"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["phimoe"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames => new MixtralFamily().HfNames;

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DecoderTensorNames.Gguf;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig c)
    {
        var o = c.Common("phimoe");
        var moe = c.Experts("num_local_experts", "intermediate_size", normalizeTopK: false)
                  ?? throw c.Error("num_local_experts", "is 0; Phi-3.5-MoE needs experts");
        // sparsemixer picks two experts whatever num_experts_per_tok says.
        if (moe.ExpertsUsed != 2) throw c.Error("num_experts_per_tok", $"is {moe.ExpertsUsed}; Phi-MoE's sparsemixer routes to 2 experts");
        var jitter = c.GetFloat("router_jitter_noise", DefaultJitter);
        if (!(jitter > 0)) throw c.Error("router_jitter_noise", $"is {jitter}; the sparsemixer needs a positive one");
        return o with
        {
            Norm = NormKind.Layer,
            NormEps = c.GetFloat("rms_norm_eps", 1e-5f),
            Rope = o.Rope is { Scaling: RopeScaling.LongRope } rope ? rope with { AttentionFactor = Mscale(c) } : o.Rope,
            SlidingWindows = c.SlidingWindows(o.LayerCount, _ => true),
            Moe = moe with { SparseMixerJitter = jitter },
        };
    }

    // PhimoeRotaryEmbedding scales cos/sin by long_mscale beyond the original context, short_mscale within it: one number here.
    private static double? Mscale(HfConfig c)
    {
        var section = c.IsSection("rope_parameters") ? "rope_parameters" : "rope_scaling";
        if (!c.TryGetSection(section, out var rope) || !rope.TryGetDouble("short_mscale", out var shortScale)) return null;
        var longScale = rope.GetDouble("long_mscale", shortScale);
        if (longScale != shortScale) throw rope.Error("long_mscale", $"is {longScale}, short_mscale {shortScale}; one cos/sin scale is supported");
        return shortScale;
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var o = p.Common(RopeStyle.Half);
        var moe = p.Experts(o.IntermediateSize, normalizeTopK: false)
                  ?? throw new InvalidModelFileException(file.FilePath, "key 'phimoe.expert_count' is missing or 0; Phi-3.5-MoE needs experts");
        // llama.cpp's phimoe reads no window (Phi-3.5-MoE's equals its context).
        return o with { Norm = NormKind.Layer, Moe = moe with { SparseMixerJitter = DefaultJitter } };
    }
}
