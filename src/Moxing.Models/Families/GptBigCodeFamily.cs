using System.Text.Json.Nodes;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Layers;

namespace Moxing.Models.Families;

/// <summary>
/// GPT-BigCode (HF `gpt_bigcode`: StarCoder 1, StarCoderBase, SantaCoder, WizardCoder; GGUF `starcoder`): GPT-2's learned positions,
/// LayerNorms and biases with nn.Linear weights, multi-query attention (multi_query: one key/value head; c_attn is [q; k; v] then,
/// else per head its q, k, v, regrouped here), an ungated GELU MLP and a head tied to the embeddings.
/// </summary>
public sealed class GptBigCodeFamily : IDecoderFamily
{
    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["gpt_bigcode"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["starcoder"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = Gpt2Family.TransformerNames;

    /// <inheritdoc />
    public DecoderTensorNames GgufNames { get; } = DecoderTensorNames.Gguf with { Q = null, K = null, V = null, Gate = null };

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var hidden = config.GetInt("n_embd");
        var heads = config.GetInt("n_head");
        var c = config.WithDefaults(new JsonObject
        {
            ["hidden_size"] = hidden,
            ["num_attention_heads"] = heads,
            ["num_hidden_layers"] = config.GetInt("n_layer"),
            ["num_key_value_heads"] = config.GetBool("multi_query", true) ? 1 : heads,
            ["intermediate_size"] = config.GetInt("n_inner", 4 * hidden),
            ["max_position_embeddings"] = config.GetInt("n_positions"),
        }.ToJsonString());
        return BigCode(c.Common("starcoder", rope: false)) with
        {
            NormEps = c.GetFloat("layer_norm_epsilon", 1e-5f),
            Activation = HfActivation.Read(c, "activation_function", "gelu_pytorch_tanh"),
            // GPTBigCodeAttention: q·k scaled by 1/sqrt(head_dim) only with scale_attn_weights.
            AttentionScale = c.GetBool("scale_attn_weights", true) ? null : 1f,
        };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file) => BigCode(new GgufHyperParameters(file).Common(RopeStyle.Half)) with { Activation = Activation.GeluTanh };

    /// <inheritdoc />
    public IReadOnlyList<DerivedTensor> DerivedHfTensors(ITensorSource tensors, DecoderOptions options, string path) =>
        options.KvHeadCount == 1 ? [] : [.. GroupedQkv.Regrouped(new PrefixedTensors(tensors, HfNames.BasePrefix), HfNames.Qkv!, options, path)];

    private static DecoderOptions BigCode(DecoderOptions o) => o with { Norm = NormKind.Layer, GatedMlp = false, LearnedPositions = true, Rope = null };
}
