using System.Text.Json.Nodes;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Layers;

namespace Moxing.Models.Families;

/// <summary>
/// GPT-NeoX (HF `gpt_neox`: Pythia, RedPajama-INCITE, StableLM-alpha, GPT-NeoX-20B; GGUF `gptneox`): LayerNorms with biases, a fused
/// query_key_value stored per head (its query, key and value rows; regrouped into [q; k; v] as convert_hf_to_gguf.py does), NEOX
/// rotary embeddings over the first rotary_pct of each head, an ungated GELU MLP with biases, an untied embed_out, and attention and
/// MLP in parallel from two norms (use_parallel_residual, the default) or one after the other.
/// </summary>
public sealed class GptNeoXFamily : IDecoderFamily
{
    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["gpt_neox"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["gptneox"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = new()
    {
        BasePrefix = "gpt_neox.",
        Embedding = "gpt_neox.embed_in.weight",
        AttentionNorm = "gpt_neox.layers.{i}.input_layernorm.weight",
        Qkv = "gpt_neox.layers.{i}.attention.query_key_value.weight",
        O = "gpt_neox.layers.{i}.attention.dense.weight",
        MlpNorm = "gpt_neox.layers.{i}.post_attention_layernorm.weight",
        Up = "gpt_neox.layers.{i}.mlp.dense_h_to_4h.weight",
        Down = "gpt_neox.layers.{i}.mlp.dense_4h_to_h.weight",
        FinalNorm = "gpt_neox.final_layer_norm.weight",
        Output = "embed_out.weight",
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames { get; } = DecoderTensorNames.Gguf with { Q = null, K = null, V = null, Gate = null };

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        // GPTNeoXConfig's rotary_pct and rotary_emb_base are the shared reader's partial_rotary_factor and rope_theta.
        var aliases = new JsonObject { ["partial_rotary_factor"] = config.GetDouble("rotary_pct", 0.25), ["rope_theta"] = config.GetDouble("rotary_emb_base", 10000) };
        var c = config.WithDefaults(aliases.ToJsonString());
        return GptNeoX(c.Common("gptneox")) with
        {
            NormEps = c.GetFloat("layer_norm_eps", 1e-5f),
            Activation = HfActivation.Read(c, "hidden_act", "gelu"),
            ParallelBlock = c.GetBool("use_parallel_residual", true),
        };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        // llama.cpp requires use_parallel_residual, and applies its tanh GELU whatever the checkpoint's activation.
        return GptNeoX(new GgufHyperParameters(file).Common(RopeStyle.Half)) with
        {
            Activation = Activation.GeluTanh,
            ParallelBlock = file.Metadata.GetBool("gptneox.use_parallel_residual"),
        };
    }

    /// <inheritdoc />
    public IReadOnlyList<DerivedTensor> DerivedHfTensors(ITensorSource tensors, DecoderOptions options, string path) =>
        [.. GroupedQkv.Regrouped(new PrefixedTensors(tensors, HfNames.BasePrefix), HfNames.Qkv!, options, path)];

    private static DecoderOptions GptNeoX(DecoderOptions o) => o with { Norm = NormKind.Layer, GatedMlp = false };
}
