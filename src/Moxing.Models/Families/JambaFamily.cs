using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// AI21 Jamba (HF jamba: Jamba-v0.1, AI21-Jamba-Mini/Large-1.5/1.6; GGUF jamba): attention without positions on layer i where
/// i % attn_layer_period == attn_layer_offset (GGUF: a layer's head_count_kv above 0), Mamba 1's selective scan elsewhere with its
/// weighted RMS norms of the time-step inputs, B and C; after each, a SiLU-gated MLP, or on layer i % expert_layer_period ==
/// expert_layer_offset (GGUF: where ffn_gate_inp is stored) num_experts such experts, the top num_experts_per_tok of a softmax
/// over all of them weighted by their probabilities as they are.
/// </summary>
public sealed class JambaFamily : IDecoderFamily
{
    private const string Layer = "model.layers.{i}.";

    // JambaConfig's defaults.
    private const string Defaults = """
        {"num_key_value_heads": 8, "max_position_embeddings": 262144, "rms_norm_eps": 1e-6, "hidden_act": "silu", "num_experts_per_tok": 2,
         "num_experts": 16, "expert_layer_period": 2, "expert_layer_offset": 1, "attn_layer_period": 8, "attn_layer_offset": 4,
         "mamba_d_state": 16, "mamba_d_conv": 4, "mamba_expand": 2, "mamba_dt_rank": "auto"}
        """;

    private static readonly (string, string, string, string) Keys = ("mamba_d_state", "mamba_d_conv", "mamba_expand", "mamba_dt_rank");

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["jamba"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["jamba"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = MambaMixers.WithHfSelectiveMixer(DecoderTensorNames.HuggingFace, Layer + "mamba.") with
    {
        Qkv = null,
        QNorm = null,
        KNorm = null,
        MlpNorm = Layer + "pre_ff_layernorm.weight",
        Gate = Layer + "feed_forward.gate_proj.weight",
        Up = Layer + "feed_forward.up_proj.weight",
        GateUp = null,
        Down = Layer + "feed_forward.down_proj.weight",
        Router = Layer + "feed_forward.router.weight",
        ExpertGate = Layer + "feed_forward.experts.{e}.gate_proj.weight",
        ExpertUp = Layer + "feed_forward.experts.{e}.up_proj.weight",
        ExpertDown = Layer + "feed_forward.experts.{e}.down_proj.weight",
        SharedGate = null,
        SharedUp = null,
        SharedDown = null,
        SharedExpertGate = null,
        FinalNorm = "model.final_layernorm.weight",
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames { get; } = MambaMixers.WithGgufSelectiveMixer(DecoderTensorNames.Gguf);

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var c = config.WithDefaults(Defaults);
        if (c.GetString("hidden_act") is var act && act != "silu") throw c.Error("hidden_act", $"is '{act}'; Jamba's MLPs, convolutions and gates run silu");
        // sliding_window, which only transformers' flash-attention path reads, is not applied (nor by llama.cpp).
        var o = c.Common("jamba", rope: false);
        if (o.HeadDim * o.HeadCount != o.HiddenSize) throw c.Error("num_attention_heads", $"is {o.HeadCount}; it must divide hidden_size ({o.HiddenSize})");
        var mamba = Periodic(c, "attn_layer_period", "attn_layer_offset", o.LayerCount).Select(a => !a).ToArray();
        var sparse = Periodic(c, "expert_layer_period", "expert_layer_offset", o.LayerCount);
        var experts = c.GetInt("num_experts");
        var moe = experts > 1 && sparse.Any(s => s) ? new MoeOptions
        {
            ExpertCount = experts,
            ExpertsUsed = c.GetInt("num_experts_per_tok"),
            ExpertFeedForward = o.IntermediateSize,
            DenseLayers = [.. sparse.Select(s => !s)],
        } : null;
        return o with { Moe = moe, Mamba = MambaMixers.SelectiveFromHf(c, o.HiddenSize, mamba, Keys, MambaSelectionNorms.Weighted, o.NormEps) };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var o = p.Common(RopeStyle.Half, recurrentLayers: true) with { Rope = null };
        // llama.cpp's jamba: a layer with ffn_gate_inp routes to experts, the others run one MLP.
        var dense = Enumerable.Range(0, o.LayerCount).Select(i => file.Find($"blk.{i}.ffn_gate_inp.weight") == null).ToArray();
        var moe = dense.All(d => d) ? null : p.Experts(o.IntermediateSize, normalizeTopK: false)
            ?? throw new InvalidModelFileException(file.FilePath, "key 'jamba.expert_count' is missing or 0, but ffn_gate_inp is stored");
        return o with
        {
            Moe = moe == null ? null : moe with { DenseLayers = dense },
            Mamba = MambaMixers.SelectiveFromGguf(p, file.FilePath, p.LayersWithoutKv(o.LayerCount), MambaSelectionNorms.Weighted, o.NormEps),
        };
    }

    // JambaConfig.layers_block_type / layers_num_experts: layer i is chosen when i % period == offset (offset below period).
    private static bool[] Periodic(HfConfig c, string periodKey, string offsetKey, int layers)
    {
        int period = c.GetInt(periodKey), offset = c.GetInt(offsetKey);
        if (period < 1) throw c.Error(periodKey, $"is {period}; it must be positive");
        if (offset < 0 || offset >= period) throw c.Error(offsetKey, $"is {offset}; it must be at least 0 and below {periodKey} ({period})");
        return [.. Enumerable.Range(0, layers).Select(i => i % period == offset)];
    }
}
