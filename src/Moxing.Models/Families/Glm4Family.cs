using Moxing.Core;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// GLM-4 (HF and GGUF `glm4`; GLM-4-9B-0414, GLM-4-32B-0414, GLM-Z1): Llama attention with q/k/v biases and half of each head
/// rotated on interleaved pairs (2i, 2i + 1: transformers' glm4 rotate_half, llama.cpp's normal mode on the unpermuted rows), one
/// fused gate_up_proj (gate first, as the converter's fused ffn_up), and RMSNorms after attention and after the MLP besides the
/// usual ones before them (post_self_attn_layernorm, post_mlp_layernorm); an untied head.
/// </summary>
public sealed class Glm4Family : IDecoderFamily
{
    // Glm4Config's default for the one key whose absence the shared reader would take otherwise.
    private const string Defaults = """{"partial_rotary_factor": 0.5}""";

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["glm4"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["glm4"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = DecoderTensorNames.HuggingFace with
    {
        PostAttentionNorm = "model.layers.{i}.post_self_attn_layernorm.weight",
        PostMlpNorm = "model.layers.{i}.post_mlp_layernorm.weight",
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => FusedGateUpGguf;

    /// <summary>llama.cpp's names with the gate and up projections fused into one ffn_up (GLM-4, ChatGLM).</summary>
    internal static DecoderTensorNames FusedGateUpGguf { get; } = DecoderTensorNames.Gguf with { GateUp = "blk.{i}.ffn_up.weight", Up = null };

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config) => Glm(config, "glm4") with { PostNorms = true };

    /// <summary>
    /// The options GLM-4 and GLM (HF `glm`) share: Glm4Config's and GlmConfig's partial rotary default of 0.5 on interleaved pairs,
    /// SiLU only (their MLP multiplies by ACT2FN[hidden_act]; llama.cpp's glm4 and chatglm by SiLU alone).
    /// </summary>
    internal static DecoderOptions Glm(HfConfig config, string architecture)
    {
        var c = config.WithDefaults(Defaults);
        if (c.GetString("hidden_act", "silu") is var act && act != "silu") throw c.Error("hidden_act", $"is '{act}'; GLM runs silu");
        return Interleaved(c.Common(architecture));
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        // GLM-4V's text model rotates by sections (M-RoPE), which the engine does not.
        if (p.Has("rope.dimension_sections"))
            throw new InvalidModelFileException(file.FilePath, "key 'glm4.rope.dimension_sections' is set; GLM-4V's multi-section RoPE is not supported");
        var o = Interleaved(p.Common(RopeStyle.Interleaved)) with { PostNorms = true };
        // GLM-OCR's next-token-prediction layers come after the model's own.
        return o with { LayerCount = p.WithoutNextN(o.LayerCount) };
    }

    /// <summary>Rotation on interleaved pairs (2i, 2i + 1), as GLM's rotate_half and llama.cpp's normal mode.</summary>
    internal static DecoderOptions Interleaved(DecoderOptions o) => o with { Rope = o.Rope! with { Style = RopeStyle.Interleaved } };
}
