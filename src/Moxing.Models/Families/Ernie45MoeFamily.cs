using Moxing.Core;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// ERNIE 4.5 MoE (HF `ernie4_5_moe`, GGUF `ernie4_5-moe`; ERNIE-4.5-21B-A3B): ERNIE 4.5's attention with experts in layer i when
/// (i + 1) % moe_layer_interval == 0 and moe_layer_start_index ≤ i ≤ moe_layer_end_index (a dense MLP elsewhere). Routing is a
/// softmax over the experts, the top moe_k chosen by probability plus e_score_correction_bias (moe_statics; choosing only),
/// weighted by their probabilities renormalised; moe_num_shared_experts shared experts run as one ungated MLP of
/// moe_num_shared_experts × moe_intermediate_size channels. Multi-token-prediction tensors (model.mtp_*) are left out.
/// </summary>
public sealed class Ernie45MoeFamily : IDecoderFamily
{
    // Ernie4_5_MoeConfig's defaults (moe_layer_end_index −1: the last layer).
    private const string Defaults = """
        {"rms_norm_eps": 1e-5, "moe_num_experts": 64, "moe_k": 6, "moe_intermediate_size": 1536, "moe_num_shared_experts": 2,
         "moe_layer_start_index": 1, "moe_layer_end_index": -1, "moe_layer_interval": 1}
        """;

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["ernie4_5_moe"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["ernie4_5-moe"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = DecoderTensorNames.HuggingFace with
    {
        SharedGate = "model.layers.{i}.mlp.shared_experts.gate_proj.weight",
        SharedUp = "model.layers.{i}.mlp.shared_experts.up_proj.weight",
        SharedDown = "model.layers.{i}.mlp.shared_experts.down_proj.weight",
        SharedExpertGate = null,
        ExpertSelectionBias = "model.layers.{i}.mlp.moe_statics.e_score_correction_bias",
        IgnoredPrefixes = ["model.mtp_"],
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DeepSeekFamily.RoutedGgufNames;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var c = config.WithDefaults(Ernie45Family.Defaults).WithDefaults(Defaults);
        var o = Ernie45Family.Ernie(c);
        int start = c.GetInt("moe_layer_start_index"), interval = c.GetInt("moe_layer_interval"), end = c.GetInt("moe_layer_end_index");
        if (interval < 1) throw c.Error("moe_layer_interval", $"is {interval}; it must be at least 1");
        if (end == -1) end = o.LayerCount - 1;
        var experts = c.GetInt("moe_num_experts");
        var shared = c.GetInt("moe_num_shared_experts");
        if (shared < 0) throw c.Error("moe_num_shared_experts", $"is {shared}; it must not be negative");
        var ff = c.GetInt("moe_intermediate_size");
        // Ernie4_5_MoeDecoderLayer: experts where (i + 1) % interval == 0 and start ≤ i ≤ end.
        var dense = Enumerable.Range(0, o.LayerCount).Select(i => !((i + 1) % interval == 0 && i >= start && i <= end)).ToArray();
        return o with { Moe = Moe(experts, c.GetInt("moe_k"), ff, shared * ff, dense) };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var o = p.Common(RopeStyle.Interleaved);
        var step = p.Int("interleave_moe_layer_step");
        if (step < 1) throw new InvalidModelFileException(file.FilePath, $"key 'ernie4_5-moe.interleave_moe_layer_step' is {step}; it must be at least 1");
        var lead = p.Int("leading_dense_block_count", 0);
        // llama.cpp's ernie4_5-moe graph: experts where il ≥ n_layer_dense_lead and (il + 1) % n_moe_layer_step == 0.
        var dense = Enumerable.Range(0, o.LayerCount).Select(i => !(i >= lead && (i + 1) % step == 0)).ToArray();
        return o with
        {
            Moe = Moe(p.Int("expert_count"), p.Int("expert_used_count"), p.Int("expert_feed_forward_length"),
                p.Int("expert_shared_feed_forward_length", 0), dense),
        };
    }

    private static MoeOptions? Moe(int experts, int used, int feedForward, int shared, bool[] dense) => dense.All(d => d) ? null : new MoeOptions
    {
        ExpertCount = experts,
        ExpertsUsed = used,
        ExpertFeedForward = feedForward,
        NormalizeTopK = true,
        SharedFeedForward = shared,
        DenseLayers = dense.Any(d => d) ? dense : [],
    };
}
