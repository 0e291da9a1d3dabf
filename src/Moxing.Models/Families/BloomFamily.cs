using System.Text.Json.Nodes;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Layers;

namespace Moxing.Models.Families;

/// <summary>
/// BLOOM (HF and GGUF `bloom`; bloom-560m … bloom-176b, bloomz): ALiBi positions (bias exponent 8, no rotary embeddings), a
/// LayerNorm of the token embeddings, LayerNorms and biases everywhere, a fused query_key_value stored per head (regrouped into
/// [q; k; v] as convert_hf_to_gguf.py does), an ungated tanh-GELU MLP of 4 × hidden, and a head tied to the embeddings.
/// </summary>
public sealed class BloomFamily : IDecoderFamily
{
    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["bloom"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["bloom"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = new()
    {
        BasePrefix = "transformer.",
        Embedding = "transformer.word_embeddings.weight",
        EmbeddingNorm = "transformer.word_embeddings_layernorm.weight",
        AttentionNorm = "transformer.h.{i}.input_layernorm.weight",
        Qkv = "transformer.h.{i}.self_attention.query_key_value.weight",
        O = "transformer.h.{i}.self_attention.dense.weight",
        MlpNorm = "transformer.h.{i}.post_attention_layernorm.weight",
        Up = "transformer.h.{i}.mlp.dense_h_to_4h.weight",
        Down = "transformer.h.{i}.mlp.dense_4h_to_h.weight",
        FinalNorm = "transformer.ln_f.weight",
        Output = "lm_head.weight",
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames { get; } = DecoderTensorNames.Gguf with { Q = null, K = null, V = null, Gate = null };

    /// <summary>BLOOM's ALiBi bias exponent (transformers' build_alibi_tensor and llama.cpp's bloom fix it).</summary>
    public const float AlibiMaxBias = 8f;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        // BloomConfig's n_layer / n_head (and the older n_embed), without key/value groups or RoPE.
        var aliases = new JsonObject();
        foreach (var (name, old) in new[] { ("num_hidden_layers", "n_layer"), ("num_attention_heads", "n_head"), ("hidden_size", "n_embed") })
            if (config.TryGetInt(old, out var value)) aliases[name] = value;
        var c = config.WithDefaults(aliases.ToJsonString());
        if (c.GetBool("apply_residual_connection_post_layernorm", false))
            throw c.Error("apply_residual_connection_post_layernorm", "is true; BLOOM adding the normed stream to its residual is not supported (llama.cpp's bloom has no such variant)");
        var hidden = c.GetInt("hidden_size");
        var o = c.WithDefaults(new JsonObject { ["intermediate_size"] = 4 * hidden, ["max_position_embeddings"] = c.GetInt("seq_length", 2048) }.ToJsonString())
            .Common("bloom", rope: false);
        return Bloom(o with { NormEps = c.GetFloat("layer_norm_epsilon", 1e-5f) });
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file) => Bloom(new GgufHyperParameters(file).Common(RopeStyle.Half));

    /// <inheritdoc />
    public IReadOnlyList<DerivedTensor> DerivedHfTensors(ITensorSource tensors, DecoderOptions options, string path) =>
        [.. GroupedQkv.Regrouped(new PrefixedTensors(tensors, HfNames.BasePrefix), HfNames.Qkv!, options, path)];

    // bloom_gelu_forward is the tanh approximation, as llama.cpp's GELU.
    private static DecoderOptions Bloom(DecoderOptions o) => o with
    {
        Norm = NormKind.Layer,
        GatedMlp = false,
        Activation = Activation.GeluTanh,
        Rope = null,
        AlibiMaxBias = AlibiMaxBias,
        EmbeddingNorm = true,
    };
}
