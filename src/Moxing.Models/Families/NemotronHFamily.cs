using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// NVIDIA Nemotron-H (HF nemotron_h; GGUF nemotron_h, and nemotron_h_moe with experts; Nemotron-H-8B/47B/56B, Nemotron-Nano-9B-v2,
/// Nemotron-3-Nano-30B-A3B): blocks of one part each after one RMSNorm, as hybrid_override_pattern (or layers_block_type) says —
/// M a Mamba2 mixer (<see cref="MambaOptions"/>, its gated norm per B/C group), * attention without positions, - a squared-ReLU
/// MLP without gate, E DeepSeek-V3-style experts (sigmoid scores, e_score_correction_bias for choosing, norm_topk_prob,
/// routed_scaling_factor) that are squared-ReLU MLPs without gate, beside an ungated shared expert. GGUF: a layer's
/// feed_forward_length marks a feed-forward block, its head_count_kv an attention block, neither a Mamba2 one.
/// </summary>
public sealed class NemotronHFamily : IDecoderFamily
{
    private const string Mixer = "backbone.layers.{i}.mixer.";
    private const string Norm = "backbone.layers.{i}.norm.weight";

    // NemotronHConfig's defaults.
    private const string Defaults = """
        {"vocab_size": 131072, "hidden_size": 4096, "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128,
         "max_position_embeddings": 4096, "intermediate_size": 21504, "mlp_hidden_act": "relu2", "ssm_state_size": 128,
         "mamba_num_heads": 128, "mamba_head_dim": 64, "n_groups": 8, "conv_kernel": 4, "layer_norm_epsilon": 1e-5,
         "n_routed_experts": 8, "moe_intermediate_size": 7688, "moe_shared_expert_intermediate_size": 7688, "num_experts_per_tok": 2,
         "routed_scaling_factor": 1.0, "n_group": 1, "topk_group": 1, "norm_topk_prob": true, "n_shared_experts": 1}
        """;

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["nemotron_h"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["nemotron_h", "nemotron_h_moe"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = MambaMixers.WithHfMixer(DecoderTensorNames.HuggingFace, Mixer) with
    {
        BasePrefix = "backbone.",
        Embedding = "backbone.embeddings.weight",
        AttentionNorm = Norm,
        Q = Mixer + "q_proj.weight",
        K = Mixer + "k_proj.weight",
        V = Mixer + "v_proj.weight",
        Qkv = null,
        O = Mixer + "o_proj.weight",
        QNorm = null,
        KNorm = null,
        // A feed-forward block's one norm.
        MlpNorm = Norm,
        Gate = null,
        GateUp = null,
        Up = Mixer + "up_proj.weight",
        Down = Mixer + "down_proj.weight",
        Router = Mixer + "gate.weight",
        ExpertSelectionBias = Mixer + "gate.e_score_correction_bias",
        ExpertGate = null,
        ExpertUp = Mixer + "experts.{e}.up_proj.weight",
        ExpertDown = Mixer + "experts.{e}.down_proj.weight",
        SharedGate = null,
        SharedUp = Mixer + "shared_experts.up_proj.weight",
        SharedDown = Mixer + "shared_experts.down_proj.weight",
        SharedExpertGate = null,
        FinalNorm = "backbone.norm_f.weight",
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames { get; } = new GraniteHybridFamily().GgufNames with
    {
        MlpNorm = "blk.{i}.attn_norm.weight",
        Gate = null,
        ExpertGate = null,
        SharedGate = null,
        SharedExpertGate = null,
        ExpertSelectionBias = "blk.{i}.exp_probs_b.bias",
    };

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var c = config.WithDefaults(Defaults);
        var blocks = Blocks(c);
        var o = c.Common("nemotron_h") with { LayerCount = blocks.Length };
        if (c.GetString("mlp_hidden_act") is var act && act != "relu2") throw c.Error("mlp_hidden_act", $"is '{act}'; Nemotron-H's MLPs run relu2");
        if (c.Has("moe_latent_size")) throw c.Error("moe_latent_size", "is set; the experts' latent projection is not supported");
        int heads = c.GetInt("mamba_num_heads"), headDim = c.GetInt("mamba_head_dim"), groups = c.GetInt("n_groups");
        if (heads < 1 || groups < 1 || heads % groups != 0) throw c.Error("n_groups", $"is {groups}; it must divide mamba_num_heads ({heads})");
        var experts = blocks.Contains('E');
        var moe = experts ? DeepSeekFamily.RoutedExperts(c, blocks.Length, "noaux_tc", sigmoid: true) with
        {
            SharedFeedForward = c.GetInt("n_shared_experts") > 0 ? c.GetInt("moe_shared_expert_intermediate_size") : 0,
            DenseLayers = [.. blocks.Select(b => b != 'E')],
        } : null;
        // Zamba2RMSNormGated normalises y per B/C group, as llama.cpp does.
        var mamba = new MambaOptions
        {
            Heads = heads,
            HeadDim = headDim,
            StateSize = c.GetInt("ssm_state_size"),
            Groups = groups,
            ConvKernel = Lfm2Family.Taps(c.GetInt("conv_kernel"), () => c.Error("conv_kernel", "must be at least 2")),
            NormGroups = groups,
            Layers = [.. blocks.Select(b => b == 'M')],
        };
        return WithBlocks(o with { NormEps = c.GetFloat("layer_norm_epsilon") }, blocks, blocks.Contains('-') ? o.IntermediateSize : 0, moe, mamba);
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var o = p.Common(RopeStyle.Half, recurrentLayers: true);
        var feedForward = p.PerLayer("feed_forward_length", o.LayerCount);
        var withoutKv = p.LayersWithoutKv(o.LayerCount);
        var blocks = Enumerable.Range(0, o.LayerCount).Select(i => feedForward[i] > 0 ? p.Has("expert_count") ? 'E' : '-' : withoutKv[i] ? 'M' : '*').ToArray();
        if (!blocks.Contains('*'))
            throw new InvalidModelFileException(file.FilePath, $"keys '{p.Architecture}.attention.head_count_kv' and '{p.Architecture}.feed_forward_length' give no attention block; Moxing needs one");
        if (p.Has("moe_latent_size")) throw new InvalidModelFileException(file.FilePath, $"key '{p.Architecture}.moe_latent_size' is set; the experts' latent projection is not supported");
        // llama.cpp's nemotron_h_moe: every feed-forward block sparse, sigmoid scores whatever the keys say, the shared expert's own width.
        var moe = p.RoutedExperts(o.LayerCount, MoeGating.Sigmoid) is { } routed ? routed with
        {
            Gating = MoeGating.Sigmoid,
            SharedFeedForward = p.Int("expert_shared_count", 1) > 0 ? p.Int("expert_shared_feed_forward_length") : 0,
            DenseLayers = [.. blocks.Select(b => b != 'E')],
        } : null;
        return WithBlocks(o, blocks, moe == null ? o.IntermediateSize : 0, moe, MambaMixers.FromGguf(p, file.FilePath, [.. blocks.Select(b => b == 'M')]));
    }

    // What both readers set: blocks of one part each, attention without positions, ungated relu² MLPs of feedForward (0: none) or experts.
    private static DecoderOptions WithBlocks(DecoderOptions o, char[] blocks, int feedForward, MoeOptions? moe, MambaOptions mamba) => o with
    {
        Rope = null,
        Activation = Activation.ReluSquared,
        GatedMlp = false,
        IntermediateSize = feedForward,
        Moe = moe,
        FeedForwardBlocks = [.. blocks.Select(b => b is '-' or 'E')],
        Mamba = mamba,
    };

    /// <summary>
    /// Each block's kind from hybrid_override_pattern (M, *, -, E) or layers_block_type (mamba or linear_attention, attention or
    /// full_attention, mlp, moe); it must have an attention block (Moxing keeps positions in its KV pool).
    /// </summary>
    internal static char[] Blocks(HfConfig c)
    {
        var key = c.Has("hybrid_override_pattern") ? "hybrid_override_pattern" : "layers_block_type";
        var blocks = key == "hybrid_override_pattern" ? c.GetString(key).ToCharArray() : [.. c.GetStringList(key).Select(t => t switch
        {
            "mamba" or "linear_attention" => 'M',
            "attention" or "full_attention" => '*',
            "mlp" => '-',
            "moe" => 'E',
            _ => throw c.Error(key, $"has '{t}'; Nemotron-H blocks are mamba, attention, mlp or moe"),
        })];
        if (blocks.Length == 0) throw c.Error(key, "is missing or empty");
        if (blocks.FirstOrDefault(b => b is not ('M' or '*' or '-' or 'E')) is var bad && bad != default) throw c.Error(key, $"has '{bad}'; Nemotron-H blocks are M, *, - or E");
        if (c.Has("num_hidden_layers") && c.GetInt("num_hidden_layers") != blocks.Length)
            throw c.Error(key, $"has {blocks.Length} blocks for num_hidden_layers {c.GetInt("num_hidden_layers")}");
        return blocks.Contains('*') ? blocks : throw c.Error(key, "has no attention block; Moxing needs one");
    }
}
