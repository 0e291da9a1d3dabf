using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Layers;

namespace Moxing.Models.Families;

/// <summary>
/// Qwen3.5 (HF qwen3_5 / qwen3_5_moe, whose text_config is the model, the vision tower left out, or their _text configs; GGUF qwen35
/// and qwen35moe; Qwen3.5-0.8B..27B, 35B-A3B..397B-A17B): Qwen3-Next's Gated DeltaNet and gated attention
/// (<see cref="Qwen3NextFamily"/>) with in_proj_qkv / z / b / a apart, a dense SwiGLU MLP or every layer's experts (fused
/// gate_up_proj and down_proj stacks, top-k renormalised) with the sigmoid-gated shared expert. Its interleaved M-RoPE rotates a text
/// position as plain NEOX RoPE. llama.cpp's converter reorders the value heads so that value head h reads key head h mod key heads.
/// </summary>
public sealed class Qwen35Family : IDecoderFamily
{
    private const string Experts = "model.layers.{i}.mlp.experts.";

    // Qwen3_5TextConfig's defaults (over Qwen3NextConfig's) and the MoE config's.
    private const string Defaults = """
        {"vocab_size": 248320, "hidden_size": 4096, "intermediate_size": 12288, "num_hidden_layers": 32, "num_attention_heads": 16,
         "num_key_value_heads": 4, "head_dim": 256, "max_position_embeddings": 32768, "rms_norm_eps": 1e-6, "rope_theta": 10000.0,
         "partial_rotary_factor": 0.25, "linear_conv_kernel_dim": 4, "linear_key_head_dim": 128, "linear_value_head_dim": 128,
         "linear_num_key_heads": 16, "linear_num_value_heads": 32, "full_attention_interval": 4, "moe_intermediate_size": 512,
         "shared_expert_intermediate_size": 512, "num_experts_per_tok": 8, "num_experts": 256}
        """;

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["qwen3_5", "qwen3_5_text", "qwen3_5_moe", "qwen3_5_moe_text"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["qwen35", "qwen35moe"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = Qwen3NextFamily.HfDeltaNames with
    {
        // Stacks: down_proj as stored, gate and up split from gate_up_proj.
        ExpertGate = Experts + "gate_proj",
        ExpertUp = Experts + "up_proj",
        ExpertDown = Experts + "down_proj",
        NestedPrefixes = [("model.language_model.", "model.")],
        IgnoredPrefixes = ["model.visual.", "mtp."],
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => Qwen3NextFamily.GgufDeltaNames;

    /// <summary>The text model's config: config.json itself (the _text types) or its text_config, with Qwen3_5TextConfig's defaults.</summary>
    public static HfConfig TextConfig(HfConfig c) =>
        (c.GetString("model_type") is "qwen3_5" or "qwen3_5_moe" ? c.GetSection("text_config") : c).WithDefaults(Defaults);

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var moe = config.GetString("model_type").StartsWith("qwen3_5_moe", StringComparison.Ordinal);
        var c = TextConfig(config);
        var o = Qwen3NextFamily.HfOptions(c, moe ? "qwen3_5_moe" : "qwen3_5");
        // Qwen3_5MoeTopKRouter renormalises the top-k weights whatever the config says.
        return moe ? o with { Moe = c.Experts("num_experts", "moe_intermediate_size", normalizeTopK: true) } : o;
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var o = Qwen3NextFamily.GgufOptions(p, file, tiledKeyHeads: true);
        if (p.Architecture != "qwen35moe") return o;
        var used = p.Int("expert_used_count", 1);
        var moe = p.Experts(used > 0 ? o.IntermediateSize / used : 0, normalizeTopK: true, sharedExpert: true)
            ?? throw new InvalidModelFileException(file.FilePath, "key 'qwen35moe.expert_count' is missing or 0; Qwen3.5-MoE has experts");
        return o with { Moe = moe };
    }

    /// <inheritdoc />
    public IReadOnlyList<DerivedTensor> DerivedHfTensors(ITensorSource tensors, DecoderOptions options, string path)
    {
        if (options.Moe is not { } moe) return [];
        var find = new PrefixedTensors(tensors, "model.");
        return [.. Enumerable.Range(0, options.LayerCount).SelectMany(layer =>
            GraniteMoeFamily.Halves(find, path, HfNames.ExpertGate!, HfNames.ExpertUp!, layer, [moe.ExpertCount, 2L * moe.ExpertFeedForward, options.HiddenSize], Experts + "gate_up_proj"))];
    }
}
