using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// Liquid LFM2-MoE (HF lfm2_moe, GGUF lfm2moe; LFM2-8B-A1B): LFM2's short-convolution and attention layers
/// (<see cref="Lfm2Family"/>), a SwiGLU MLP of intermediate_size on the first num_dense_layers, then experts chosen by the sigmoid
/// of the router's logits plus the expert_bias (for choosing only), weighted by those sigmoids renormalised (norm_topk_prob) and
/// times routed_scaling_factor.
/// </summary>
public sealed class Lfm2MoeFamily : IDecoderFamily
{
    private const string Expert = "model.layers.{i}.feed_forward.";

    // Lfm2MoeConfig's defaults.
    private const string Defaults = """
        {"vocab_size": 65536, "hidden_size": 2048, "intermediate_size": 7168, "moe_intermediate_size": 1792, "num_hidden_layers": 32,
         "num_attention_heads": 32, "num_key_value_heads": 8, "max_position_embeddings": 128000, "norm_eps": 1e-5, "rope_theta": 1000000.0,
         "conv_L_cache": 3, "num_dense_layers": 2, "num_experts_per_tok": 4, "num_experts": 32, "routed_scaling_factor": 1.0, "norm_topk_prob": true,
         "use_expert_bias": true}
        """;

    private static readonly Lfm2Family Lfm2 = new();

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["lfm2_moe"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["lfm2moe"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = Lfm2.HfNames with
    {
        Router = Expert + "gate.weight",
        ExpertGate = Expert + "experts.{e}.w1.weight",
        ExpertUp = Expert + "experts.{e}.w3.weight",
        ExpertDown = Expert + "experts.{e}.w2.weight",
        ExpertSelectionBias = Expert + "expert_bias",
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames { get; } = Lfm2.GgufNames with { ExpertSelectionBias = "blk.{i}.exp_probs_b.bias" };

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var c = config.WithDefaults(Defaults);
        var o = Lfm2Family.Hybrid(c, "lfm2_moe");
        var lead = c.GetInt("num_dense_layers");
        if (lead < 0 || lead >= o.LayerCount) throw c.Error("num_dense_layers", $"is {lead}; it must leave some of the {o.LayerCount} layers sparse");
        return o with
        {
            Moe = new MoeOptions
            {
                ExpertCount = c.GetInt("num_experts"),
                ExpertsUsed = c.GetInt("num_experts_per_tok"),
                ExpertFeedForward = c.GetInt("moe_intermediate_size"),
                NormalizeTopK = c.GetBool("norm_topk_prob"),
                Gating = MoeGating.Sigmoid,
                RoutedScale = c.GetFloat("routed_scaling_factor"),
                // Lfm2MoeSparseMoeBlock registers its expert_bias buffer only where use_expert_bias.
                SelectionBias = c.GetBool("use_expert_bias") ? MoeSelectionBias.Required : MoeSelectionBias.Absent,
                DenseLayers = [.. Enumerable.Range(0, o.LayerCount).Select(i => i < lead)],
            },
        };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var o = Lfm2.FromGguf(file);
        // llama.cpp's lfm2moe renormalises the chosen weights and never scales them, whatever the keys say, and requires every sparse
        // layer's exp_probs_b.
        var moe = new GgufHyperParameters(file).RoutedExperts(o.LayerCount, MoeGating.Sigmoid)
            ?? throw new InvalidModelFileException(file.FilePath, "key 'lfm2moe.expert_count' or 'lfm2moe.leading_dense_block_count' leaves no sparse layer; llama.cpp's lfm2moe needs experts");
        return o with { Moe = moe with { NormalizeTopK = true, RoutedScale = 1f, SelectionBias = MoeSelectionBias.Required } };
    }
}
