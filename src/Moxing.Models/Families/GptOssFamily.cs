using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Layers;

namespace Moxing.Models.Families;

/// <summary>
/// gpt-oss (OpenAI's open-weight MoE, GGUF architecture "gpt-oss" as llama.cpp's converter writes it; its openai-moe graph):
/// q/k/v/o biases, a learned sink logit per head in every attention softmax, a 128-position window on every other layer
/// (layer i slides when i is even), YaRN RoPE on every layer, and a sparse MoE block whose router has a bias and whose top-k
/// logits are softmaxed among themselves (the same weights as a softmax over all renormalised over the k), with biased experts
/// and the clamped SwiGLU. The norm before the experts is stored as `post_attention_norm`. Hugging Face folders (`gpt_oss`:
/// MXFP4 experts as blocks and scales, or the dequantized re-uploads) are read through <see cref="GptOssHfExperts"/>.
/// </summary>
public sealed class GptOssFamily : IDecoderFamily
{
    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["gpt_oss"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["gpt-oss"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = DecoderTensorNames.HuggingFace with
    {
        Sinks = "model.layers.{i}.self_attn.sinks",
        Router = "model.layers.{i}.mlp.router.weight",
        // stacks computed from the checkpoint's fused experts (GptOssHfExperts)
        ExpertGate = "model.layers.{i}.mlp.experts.gate_proj.weight",
        ExpertUp = "model.layers.{i}.mlp.experts.up_proj.weight",
        ExpertDown = "model.layers.{i}.mlp.experts.down_proj.weight",
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames { get; } = DecoderTensorNames.Gguf with
    {
        MlpNorm = "blk.{i}.post_attention_norm.weight",
        PostAttentionNorm = null,
    };

    // transformers' GptOssConfig defaults for what a config.json leaves out.
    private const string Defaults = """{"rope_theta": 150000, "rms_norm_eps": 1e-5, "head_dim": 64, "sliding_window": 128, "num_experts_per_tok": 4}""";
    private const string RopeDefaults = """{"rope_scaling": {"rope_type": "yarn", "factor": 32.0, "beta_fast": 32.0, "beta_slow": 1.0, "truncate": false, "original_max_position_embeddings": 4096}}""";

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var c = config.WithDefaults(Defaults);
        if (!c.Has("rope_scaling") && !c.Has("rope_parameters")) c = c.WithDefaults(RopeDefaults);
        if (c.TryGetSection("quantization_config", out var quantization) && quantization.GetString("quant_method") is var method and not "mxfp4")
            throw quantization.Error("quant_method", $"is '{method}'; gpt-oss folders are read with MXFP4 experts (mxfp4) or unquantized");
        // Activation.SwigluOai is the released models' min(g, 7)·σ(1.702 g)·(clamp(u, ±7) + 1).
        foreach (var (key, value) in new[] { ("swiglu_limit", 7.0), ("swiglu_alpha", 1.702) })
            if (c.TryGetDouble(key, out var v) && v != value) throw c.Error(key, $"is {v}; only gpt-oss's {value} is supported");
        var o = c.Common("gpt_oss");
        return o with
        {
            Activation = Activation.SwigluOai,
            AttentionSinks = true,
            SlidingWindows = c.SlidingWindows(o.LayerCount, i => i % 2 == 0),
            Moe = c.Experts("num_local_experts", "intermediate_size", normalizeTopK: true),
        };
    }

    /// <inheritdoc />
    public IReadOnlyList<DerivedTensor> DerivedHfTensors(ITensorSource tensors, DecoderOptions options, string path) =>
        GptOssHfExperts.Derive(tensors, options, path);

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var o = p.Common(RopeStyle.Half);
        var window = p.Int("attention.sliding_window");
        var sliding = p.SlidingLayers(o.LayerCount, 2);
        // llama.cpp: windowed layers rotate by rope.freq_base_swa when given, with the same scaling as the others.
        var swaBase = p.Float("rope.freq_base_swa", (float)o.Rope!.Theta);
        return o with
        {
            Activation = Activation.SwigluOai,
            AttentionSinks = true,
            SlidingWindows = sliding.Select(s => s ? window : 0).ToArray(),
            SlidingRope = swaBase == o.Rope.Theta ? null : o.Rope with { Theta = swaBase },
            Moe = p.Experts(o.IntermediateSize, normalizeTopK: true),
        };
    }
}
