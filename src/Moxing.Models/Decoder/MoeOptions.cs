namespace Moxing.Models.Decoder;

/// <summary>
/// A sparse mixture-of-experts feed-forward (Mixtral, Qwen2/3-MoE, OLMoE, DeepSeek): a router scores every expert (softmax over all
/// of them, or DeepSeek-V3's sigmoids), the top <see cref="ExpertsUsed"/> run and their outputs are summed with those scores as weights.
/// </summary>
public sealed record MoeOptions
{
    /// <summary>Experts per sparse layer.</summary>
    public required int ExpertCount { get; init; }
    /// <summary>Experts each token runs (top-k).</summary>
    public required int ExpertsUsed { get; init; }
    /// <summary>Width of each expert's hidden layer.</summary>
    public required int ExpertFeedForward { get; init; }
    /// <summary>The k chosen probabilities are divided by their sum (Mixtral, Qwen3-MoE) rather than used as they are (OLMoE, Qwen2-MoE).</summary>
    public bool NormalizeTopK { get; init; }
    /// <summary>
    /// Phi-3.5-MoE's sparsemixer at inference when positive (its router_jitter_noise ε): each of the k rounds takes the most
    /// probable expert left, weighted by its softmax over the experts left whose logit is within 2ε (relative) of it, so the
    /// weights need not sum to 1; 0: the softmax routing above.
    /// </summary>
    public float SparseMixerJitter { get; init; }
    /// <summary>The chosen experts are those of the largest router logits, each weighted by the sigmoid of its logit (Llama 4) rather than by softmax probabilities.</summary>
    public bool SigmoidOfChosenLogits { get; init; }
    /// <summary>Each chosen expert's weight multiplies its input rather than its output (Llama 4).</summary>
    public bool WeightsExpertInput { get; init; }
    /// <summary>Width of the shared expert every token runs (scaled by a sigmoid gate where the architecture names one: Qwen2-MoE); 0 for none.</summary>
    public int SharedFeedForward { get; init; }
    /// <summary>Per layer, true where the layer keeps one dense MLP (Qwen-MoE's mlp_only_layers / decoder_sparse_step); empty: every layer is sparse.</summary>
    public bool[] DenseLayers { get; init; } = [];

    /// <summary>How the router's logits become expert scores (softmax over the experts, or a sigmoid each: DeepSeek-V3's scoring_func).</summary>
    public MoeGating Gating { get; init; } = MoeGating.Softmax;
    /// <summary>Groups the experts form, in order (DeepSeek's n_group): only those of the <see cref="ExpertGroupsUsed"/> best groups may be chosen; 1: no groups.</summary>
    public int ExpertGroups { get; init; } = 1;
    /// <summary>Groups whose experts may be chosen (DeepSeek's topk_group).</summary>
    public int ExpertGroupsUsed { get; init; } = 1;
    /// <summary>How a group is ranked by its experts' scores plus selection bias (DeepSeek-V2's group_limited_greedy: the best; V3's noaux_tc: the best two summed).</summary>
    public MoeGroupScore GroupScore { get; init; } = MoeGroupScore.SumOfTopTwo;
    /// <summary>Multiplier of the chosen experts' weights after any renormalisation (DeepSeek's routed_scaling_factor, llama.cpp's expert_weights_scale).</summary>
    public float RoutedScale { get; init; } = 1f;
    /// <summary>Whether the sparse layers' expert-selection bias is read where stored, required (a missing one an error naming it), or absent.</summary>
    public MoeSelectionBias SelectionBias { get; init; } = MoeSelectionBias.WhereStored;
    /// <summary>
    /// The router reads the residual stream RMS-normed without weights, times a learned scale per channel and 1/√hidden (Gemma 4's
    /// router.scale, llama.cpp's ffn_gate_inp.scale), rather than the feed-forward's normed input.
    /// </summary>
    public bool RouterScaledNorm { get; init; }
    /// <summary>Each chosen expert's weight times a learned scale of that expert's (Gemma 4's per_expert_scale, llama.cpp's ffn_down_exps.scale).</summary>
    public bool ExpertScales { get; init; }
    /// <summary>
    /// The routed experts read a norm of their own of the residual stream, and the routed and shared outputs are each normed before
    /// they are summed (Gemma 4's pre_feedforward_layernorm_2, post_feedforward_layernorm_2 and post_feedforward_layernorm_1).
    /// </summary>
    public bool BranchNorms { get; init; }

    /// <summary>True when layer <paramref name="layer"/> routes its tokens to experts.</summary>
    public bool IsSparse(int layer) => !(layer < DenseLayers.Length && DenseLayers[layer]);

    /// <summary>The widest expert hidden layer (routed or shared).</summary>
    public int WidestFeedForward => Math.Max(ExpertFeedForward, SharedFeedForward);
}

/// <summary>How a router's logits become expert scores.</summary>
public enum MoeGating
{
    /// <summary>Softmax over all experts.</summary>
    Softmax,
    /// <summary>A sigmoid of each logit (DeepSeek-V3).</summary>
    Sigmoid,
}

/// <summary>How a group of experts is ranked for group-limited routing.</summary>
public enum MoeGroupScore
{
    /// <summary>By its best expert's score (DeepSeek-V2's group_limited_greedy).</summary>
    Max,
    /// <summary>By its two best experts' scores summed (DeepSeek-V3's noaux_tc, llama.cpp's group selection).</summary>
    SumOfTopTwo,
}

/// <summary>Whether a sparse layer's expert-selection bias is read.</summary>
public enum MoeSelectionBias
{
    /// <summary>Read where the file stores it (llama.cpp's exp_probs_b is optional for most architectures).</summary>
    WhereStored,
    /// <summary>Every sparse layer stores it (LFM2-MoE's use_expert_bias, llama.cpp's lfm2moe): a missing one is an error.</summary>
    Required,
    /// <summary>The configuration says there is none (LFM2-MoE's use_expert_bias false): any stored is not read.</summary>
    Absent,
}
