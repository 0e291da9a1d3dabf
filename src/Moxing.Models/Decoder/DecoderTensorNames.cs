namespace Moxing.Models.Decoder;

/// <summary>
/// Where each decoder slot lives in a checkpoint: weight names with "{i}" for the layer index (biases are the same
/// names ending in ".bias"). A null or absent tensor leaves the slot empty.
/// </summary>
public sealed record DecoderTensorNames
{
    /// <summary>Token embedding.</summary>
    public required string Embedding { get; init; }
    /// <summary>Learned position embedding.</summary>
    public string? PositionEmbedding { get; init; }
    /// <summary>Norm of the token embeddings (BLOOM's word_embeddings_layernorm).</summary>
    public string? EmbeddingNorm { get; init; }
    /// <summary>Norm before attention (null where the architecture has none: OLMo 2).</summary>
    public string? AttentionNorm { get; init; }
    /// <summary>Query projection.</summary>
    public string? Q { get; init; }
    /// <summary>Key projection.</summary>
    public string? K { get; init; }
    /// <summary>Value projection.</summary>
    public string? V { get; init; }
    /// <summary>Fused query/key/value projection.</summary>
    public string? Qkv { get; init; }
    /// <summary>Attention output projection.</summary>
    public required string O { get; init; }
    /// <summary>Per-head query norm.</summary>
    public string? QNorm { get; init; }
    /// <summary>Per-head key norm.</summary>
    public string? KNorm { get; init; }
    /// <summary>Attention-sink logits, one per query head (gpt-oss).</summary>
    public string? Sinks { get; init; }
    /// <summary>MLA's query down-projection (q_a_proj).</summary>
    public string? QA { get; init; }
    /// <summary>MLA's norm of the query latent (q_a_layernorm).</summary>
    public string? QANorm { get; init; }
    /// <summary>MLA's query up-projection (q_b_proj).</summary>
    public string? QB { get; init; }
    /// <summary>MLA's key/value down-projection with the shared rotary key part (kv_a_proj_with_mqa).</summary>
    public string? KvA { get; init; }
    /// <summary>MLA's norm of the key/value latent (kv_a_layernorm).</summary>
    public string? KvANorm { get; init; }
    /// <summary>MLA's key/value up-projection (kv_b_proj), [heads · (unrotated key + value dims), kv rank].</summary>
    public string? KvB { get; init; }
    /// <summary>MLA's up-projection of the unrotated keys alone, [heads, kv rank, unrotated key dims] (llama.cpp's attn_k_b, read where <see cref="KvB"/> is absent).</summary>
    public string? KB { get; init; }
    /// <summary>MLA's up-projection of the values alone, [heads, value dims, kv rank] (llama.cpp's attn_v_b).</summary>
    public string? VB { get; init; }
    /// <summary>A short convolution's in_proj (LFM2).</summary>
    public string? ConvInProj { get; init; }
    /// <summary>A short convolution's depthwise kernel, [hidden, 1, taps] (HF) or [hidden, taps] (GGUF).</summary>
    public string? ConvKernel { get; init; }
    /// <summary>A short convolution's out_proj.</summary>
    public string? ConvOutProj { get; init; }
    /// <summary>A Mamba2 mixer's in_proj.</summary>
    public string? SsmIn { get; init; }
    /// <summary>A Mamba2 mixer's depthwise convolution kernel, [channels, 1, taps] (HF) or [channels, taps] (GGUF).</summary>
    public string? SsmConv { get; init; }
    /// <summary>A Mamba2 mixer's time-step bias per head.</summary>
    public string? SsmDtBias { get; init; }
    /// <summary>A Mamba2 mixer's log decay per head (Mamba 1's per channel and state), A_log (HF), from which A = −exp(A_log).</summary>
    public string? SsmALog { get; init; }
    /// <summary>A Mamba2 mixer's decay per head (Mamba 1's per channel and state) A = −exp(A_log), as llama.cpp's converter stores it (ssm_a).</summary>
    public string? SsmA { get; init; }
    /// <summary>A Mamba2 mixer's skip connection per head (Mamba 1's per channel).</summary>
    public string? SsmD { get; init; }
    /// <summary>A Mamba2 mixer's gated RMSNorm weights.</summary>
    public string? SsmNorm { get; init; }
    /// <summary>A Mamba2 mixer's out_proj.</summary>
    public string? SsmOut { get; init; }
    /// <summary>A Mamba 1 mixer's x_proj: the time-step inputs, B and C from the convolved x.</summary>
    public string? SsmX { get; init; }
    /// <summary>A Mamba 1 mixer's dt_proj (its bias the time steps' bias).</summary>
    public string? SsmDt { get; init; }
    /// <summary>A Mamba 1 mixer's norm of its time-step inputs (Jamba's dt_layernorm).</summary>
    public string? SsmDtNorm { get; init; }
    /// <summary>A Mamba 1 mixer's norm of B (Jamba's b_layernorm).</summary>
    public string? SsmBNorm { get; init; }
    /// <summary>A Mamba 1 mixer's norm of C (Jamba's c_layernorm).</summary>
    public string? SsmCNorm { get; init; }
    /// <summary>A Gated DeltaNet's q·k·v projection (in_proj_qkv; its conv, dt bias, A, norm and out_proj are the Ssm* slots).</summary>
    public string? DeltaQkv { get; init; }
    /// <summary>A Gated DeltaNet's output gate projection (in_proj_z).</summary>
    public string? DeltaGate { get; init; }
    /// <summary>A Gated DeltaNet's β projection (in_proj_b).</summary>
    public string? DeltaBeta { get; init; }
    /// <summary>A Gated DeltaNet's decay projection (in_proj_a).</summary>
    public string? DeltaAlpha { get; init; }
    /// <summary>Qwen3-Next's fused β and decay projection (in_proj_ba: per key head its value heads' b, then their a).</summary>
    public string? DeltaBetaAlpha { get; init; }
    /// <summary>Norm of the attention output (Gemma 2).</summary>
    public string? PostAttentionNorm { get; init; }
    /// <summary>Norm before the MLP (null where the architecture has none: OLMo 2, Phi-2).</summary>
    public string? MlpNorm { get; init; }
    /// <summary>MLP gate projection.</summary>
    public string? Gate { get; init; }
    /// <summary>MLP up projection.</summary>
    public string? Up { get; init; }
    /// <summary>Fused gate/up projection.</summary>
    public string? GateUp { get; init; }
    /// <summary>MLP down projection.</summary>
    public required string Down { get; init; }
    /// <summary>Norm of the MLP output (Gemma 2).</summary>
    public string? PostMlpNorm { get; init; }
    /// <summary>Mixture-of-experts router [experts, hidden].</summary>
    public string? Router { get; init; }
    /// <summary>Experts' gate projections: one matrix per expert where the name has "{e}", else one [experts, ff, hidden] tensor.</summary>
    public string? ExpertGate { get; init; }
    /// <summary>Experts' up projections, as <see cref="ExpertGate"/>.</summary>
    public string? ExpertUp { get; init; }
    /// <summary>Experts' fused gate and up projections, one [experts, 2 · ff, hidden] stack (gate rows first), read where present in place of <see cref="ExpertGate"/> and <see cref="ExpertUp"/>.</summary>
    public string? ExpertGateUp { get; init; }
    /// <summary>Experts' down projections ([experts, hidden, ff] when stacked), as <see cref="ExpertGate"/>.</summary>
    public string? ExpertDown { get; init; }
    /// <summary>Shared expert's gate projection (Qwen2-MoE).</summary>
    public string? SharedGate { get; init; }
    /// <summary>Shared expert's up projection.</summary>
    public string? SharedUp { get; init; }
    /// <summary>Shared expert's down projection.</summary>
    public string? SharedDown { get; init; }
    /// <summary>The shared expert's sigmoid gate ([1, hidden] or [hidden]); null where the shared expert is ungated.</summary>
    public string? SharedExpertGate { get; init; }
    /// <summary>Per-expert bias added to the router's probabilities for choosing only (ERNIE 4.5's e_score_correction_bias, llama.cpp's exp_probs_b).</summary>
    public string? ExpertSelectionBias { get; init; }
    /// <summary>The router's input scale per channel [hidden] (<see cref="MoeOptions.RouterScaledNorm"/>).</summary>
    public string? RouterScale { get; init; }
    /// <summary>Each expert's output scale [experts] (<see cref="MoeOptions.ExpertScales"/>).</summary>
    public string? ExpertScale { get; init; }
    /// <summary>The routed experts' norm of the stream (<see cref="MoeOptions.BranchNorms"/>).</summary>
    public string? ExpertNorm { get; init; }
    /// <summary>The norm of the routed experts' summed output (<see cref="MoeOptions.BranchNorms"/>).</summary>
    public string? ExpertPostNorm { get; init; }
    /// <summary>The norm of the shared expert's output (<see cref="MoeOptions.BranchNorms"/>).</summary>
    public string? SharedPostNorm { get; init; }
    /// <summary>The per-layer inputs' token table [vocab, layers · width] (Gemma 3n, Gemma 4).</summary>
    public string? PerLayerTokenTable { get; init; }
    /// <summary>The projection of the embeddings into every layer's input [layers · width, hidden].</summary>
    public string? PerLayerModelProjection { get; init; }
    /// <summary>The norm of each layer's slice of that projection.</summary>
    public string? PerLayerProjectionNorm { get; init; }
    /// <summary>A layer's gate of its per-layer input [width, hidden].</summary>
    public string? PerLayerGate { get; init; }
    /// <summary>A layer's projection of its gated per-layer input [hidden, width].</summary>
    public string? PerLayerProjection { get; init; }
    /// <summary>A layer's norm of that projection.</summary>
    public string? PerLayerPostNorm { get; init; }
    /// <summary>A layer's output scalar [1] (Gemma 4's layer_scalar).</summary>
    public string? LayerOutputScale { get; init; }
    /// <summary>AltUp's projections of the embeddings into the extra streams: one matrix per stream ("{e}") or one [streams − 1, hidden, hidden] stack (Gemma 3n).</summary>
    public string? AltUpProjections { get; init; }
    /// <summary>AltUp's projections of the extra streams back before the final norm, as <see cref="AltUpProjections"/>.</summary>
    public string? AltUpUnembedProjections { get; init; }
    /// <summary>A layer's AltUp router [streams, hidden].</summary>
    public string? AltUpRouter { get; init; }
    /// <summary>A layer's norm of the router's input.</summary>
    public string? AltUpRouterNorm { get; init; }
    /// <summary>A layer's AltUp prediction coefficients [streams², streams].</summary>
    public string? AltUpPredictionCoefficients { get; init; }
    /// <summary>A layer's AltUp correction coefficients [streams, streams].</summary>
    public string? AltUpCorrectionCoefficients { get; init; }
    /// <summary>A layer's scale of the corrected active stream [hidden].</summary>
    public string? AltUpCorrectOutputScale { get; init; }
    /// <summary>A layer's Laurel left projection [rank, hidden].</summary>
    public string? LaurelLeft { get; init; }
    /// <summary>A layer's Laurel right projection [hidden, rank].</summary>
    public string? LaurelRight { get; init; }
    /// <summary>A layer's Laurel norm.</summary>
    public string? LaurelPostNorm { get; init; }
    /// <summary>Final norm.</summary>
    public required string FinalNorm { get; init; }
    /// <summary>LM head (the embedding is used when absent).</summary>
    public required string Output { get; init; }
    /// <summary>Prefix of the base model's tensors, which bare checkpoints omit (see <see cref="Layers.PrefixedTensors"/>).</summary>
    public string BasePrefix { get; init; } = "";
    /// <summary>Linear weights are stored [in, out] (GPT-2's Conv1D) and must be transposed at load.</summary>
    public bool TransposedLinears { get; init; }
    /// <summary>Prefixes under which a multimodal checkpoint nests these names, with what replaces them (see <see cref="Layers.NestedTensors"/>).</summary>
    public IReadOnlyList<(string From, string To)> NestedPrefixes { get; init; } = [];
    /// <summary>Prefixes of a multimodal checkpoint's tensors that are not the decoder's (vision tower, projector), left out.</summary>
    public IReadOnlyList<string> IgnoredPrefixes { get; init; } = [];

    /// <summary>
    /// <paramref name="source"/> (read from <paramref name="path"/>) as these names expect it: through <see cref="Layers.NestedTensors"/>
    /// when the scheme has nested or ignored prefixes, else itself. The result owns the source.
    /// </summary>
    public Core.Tensors.ITensorSource View(Core.Tensors.ITensorSource source, string path) =>
        NestedPrefixes.Count == 0 && IgnoredPrefixes.Count == 0 ? source : new Layers.NestedTensors(source, path, NestedPrefixes, IgnoredPrefixes);

    // Every tensor slot, so two naming schemes can be lined up slot by slot.
    private static readonly Func<DecoderTensorNames, string?>[] Slots =
    [
        n => n.Embedding, n => n.PositionEmbedding, n => n.EmbeddingNorm, n => n.AttentionNorm, n => n.Q, n => n.K, n => n.V, n => n.Qkv, n => n.O,
        n => n.QNorm, n => n.KNorm, n => n.PostAttentionNorm, n => n.MlpNorm, n => n.Gate, n => n.Up, n => n.GateUp, n => n.Down,
        n => n.PostMlpNorm, n => n.FinalNorm, n => n.Output, n => n.Router, n => n.SharedGate, n => n.SharedUp, n => n.SharedDown,
        n => n.SharedExpertGate, n => n.Sinks, n => n.ExpertGate, n => n.ExpertUp, n => n.ExpertGateUp, n => n.ExpertDown, n => n.ExpertSelectionBias,
        n => n.RouterScale, n => n.ExpertScale, n => n.ExpertNorm, n => n.ExpertPostNorm, n => n.SharedPostNorm,
        n => n.QA, n => n.QANorm, n => n.QB, n => n.KvA, n => n.KvANorm, n => n.KvB,
        n => n.ConvInProj, n => n.ConvKernel, n => n.ConvOutProj,
        n => n.SsmIn, n => n.SsmConv, n => n.SsmDtBias, n => n.SsmD, n => n.SsmNorm, n => n.SsmOut,
        n => n.SsmX, n => n.SsmDt, n => n.SsmDtNorm, n => n.SsmBNorm, n => n.SsmCNorm,
        n => n.DeltaQkv, n => n.DeltaGate, n => n.DeltaBeta, n => n.DeltaAlpha, n => n.DeltaBetaAlpha,
        n => n.PerLayerTokenTable, n => n.PerLayerModelProjection, n => n.PerLayerProjectionNorm, n => n.PerLayerGate, n => n.PerLayerProjection,
        n => n.PerLayerPostNorm, n => n.LayerOutputScale,
        n => n.AltUpRouter, n => n.AltUpRouterNorm, n => n.AltUpPredictionCoefficients, n => n.AltUpCorrectionCoefficients,
        n => n.AltUpCorrectOutputScale, n => n.LaurelLeft, n => n.LaurelRight, n => n.LaurelPostNorm,
        // HF's A_log and llama.cpp's A = −exp(A_log) are one slot (the converter applies the function).
        n => n.SsmALog ?? n.SsmA,
    ];

    /// <summary>
    /// For every slot both schemes name, this scheme's tensor names (weights and their biases, layers 0 to
    /// <paramref name="layers"/> − 1) mapped to <paramref name="to"/>'s; experts only where both store them as stacks.
    /// </summary>
    public IReadOnlyDictionary<string, string> MapTo(DecoderTensorNames to, int layers)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var slot in Slots)
        {
            if (slot(this) is not { } from || slot(to) is not { } target || PerExpert(from) || PerExpert(target)) continue;
            var count = from.Contains("{i}", StringComparison.Ordinal) ? layers : 1;
            for (var i = 0; i < count; i++)
            {
                var (name, mapped) = (ForLayer(from, i), ForLayer(target, i));
                map[name] = mapped;
                map[BiasOf(name)] = BiasOf(mapped);
            }
        }
        return map;
    }

    internal static string ForLayer(string pattern, int layer) => pattern.Replace("{i}", layer.ToString(System.Globalization.CultureInfo.InvariantCulture));

    internal static string ForExpert(string pattern, int layer, int expert) =>
        ForLayer(pattern, layer).Replace("{e}", expert.ToString(System.Globalization.CultureInfo.InvariantCulture));

    internal static bool PerExpert(string pattern) => pattern.Contains("{e}", StringComparison.Ordinal);

    internal static string BiasOf(string weightName) =>
        weightName.EndsWith(".weight", StringComparison.Ordinal) ? weightName[..^".weight".Length] + ".bias" : weightName + ".bias";

    /// <summary>Hugging Face names of Llama-like models (Llama, Qwen2/3, Mistral, Phi-3, Gemma 2 with overrides; Qwen-MoE and OLMoE experts).</summary>
    public static DecoderTensorNames HuggingFace { get; } = new()
    {
        BasePrefix = "model.",
        Embedding = "model.embed_tokens.weight",
        AttentionNorm = "model.layers.{i}.input_layernorm.weight",
        Q = "model.layers.{i}.self_attn.q_proj.weight",
        K = "model.layers.{i}.self_attn.k_proj.weight",
        V = "model.layers.{i}.self_attn.v_proj.weight",
        Qkv = "model.layers.{i}.self_attn.qkv_proj.weight",
        O = "model.layers.{i}.self_attn.o_proj.weight",
        QNorm = "model.layers.{i}.self_attn.q_norm.weight",
        KNorm = "model.layers.{i}.self_attn.k_norm.weight",
        MlpNorm = "model.layers.{i}.post_attention_layernorm.weight",
        Gate = "model.layers.{i}.mlp.gate_proj.weight",
        Up = "model.layers.{i}.mlp.up_proj.weight",
        GateUp = "model.layers.{i}.mlp.gate_up_proj.weight",
        Down = "model.layers.{i}.mlp.down_proj.weight",
        Router = "model.layers.{i}.mlp.gate.weight",
        ExpertGate = "model.layers.{i}.mlp.experts.{e}.gate_proj.weight",
        ExpertUp = "model.layers.{i}.mlp.experts.{e}.up_proj.weight",
        ExpertDown = "model.layers.{i}.mlp.experts.{e}.down_proj.weight",
        SharedGate = "model.layers.{i}.mlp.shared_expert.gate_proj.weight",
        SharedUp = "model.layers.{i}.mlp.shared_expert.up_proj.weight",
        SharedDown = "model.layers.{i}.mlp.shared_expert.down_proj.weight",
        SharedExpertGate = "model.layers.{i}.mlp.shared_expert_gate.weight",
        FinalNorm = "model.norm.weight",
        Output = "lm_head.weight",
    };

    /// <summary>llama.cpp's GGUF names, shared by every architecture.</summary>
    public static DecoderTensorNames Gguf { get; } = new()
    {
        Embedding = "token_embd.weight",
        PositionEmbedding = "position_embd.weight",
        EmbeddingNorm = "token_embd_norm.weight",
        AttentionNorm = "blk.{i}.attn_norm.weight",
        Q = "blk.{i}.attn_q.weight",
        K = "blk.{i}.attn_k.weight",
        V = "blk.{i}.attn_v.weight",
        Qkv = "blk.{i}.attn_qkv.weight",
        O = "blk.{i}.attn_output.weight",
        QNorm = "blk.{i}.attn_q_norm.weight",
        KNorm = "blk.{i}.attn_k_norm.weight",
        Sinks = "blk.{i}.attn_sinks.weight",
        PostAttentionNorm = "blk.{i}.post_attention_norm.weight",
        MlpNorm = "blk.{i}.ffn_norm.weight",
        Gate = "blk.{i}.ffn_gate.weight",
        Up = "blk.{i}.ffn_up.weight",
        Down = "blk.{i}.ffn_down.weight",
        PostMlpNorm = "blk.{i}.post_ffw_norm.weight",
        Router = "blk.{i}.ffn_gate_inp.weight",
        ExpertGate = "blk.{i}.ffn_gate_exps.weight",
        ExpertUp = "blk.{i}.ffn_up_exps.weight",
        ExpertGateUp = "blk.{i}.ffn_gate_up_exps.weight",
        ExpertDown = "blk.{i}.ffn_down_exps.weight",
        RouterScale = "blk.{i}.ffn_gate_inp.scale",
        ExpertScale = "blk.{i}.ffn_down_exps.scale",
        ExpertNorm = "blk.{i}.pre_ffw_norm_2.weight",
        ExpertPostNorm = "blk.{i}.post_ffw_norm_2.weight",
        SharedPostNorm = "blk.{i}.post_ffw_norm_1.weight",
        SharedGate = "blk.{i}.ffn_gate_shexp.weight",
        SharedUp = "blk.{i}.ffn_up_shexp.weight",
        SharedDown = "blk.{i}.ffn_down_shexp.weight",
        SharedExpertGate = "blk.{i}.ffn_gate_inp_shexp.weight",
        PerLayerTokenTable = "per_layer_token_embd.weight",
        PerLayerModelProjection = "per_layer_model_proj.weight",
        PerLayerProjectionNorm = "per_layer_proj_norm.weight",
        PerLayerGate = "blk.{i}.inp_gate.weight",
        PerLayerProjection = "blk.{i}.proj.weight",
        PerLayerPostNorm = "blk.{i}.post_norm.weight",
        LayerOutputScale = "blk.{i}.layer_output_scale.weight",
        AltUpProjections = "altup_proj.weight",
        AltUpUnembedProjections = "altup_unembd_proj.weight",
        AltUpRouter = "blk.{i}.altup_router.weight",
        AltUpRouterNorm = "blk.{i}.altup_router_norm.weight",
        AltUpPredictionCoefficients = "blk.{i}.altup_predict_coef.weight",
        AltUpCorrectionCoefficients = "blk.{i}.altup_correct_coef.weight",
        AltUpCorrectOutputScale = "blk.{i}.altup_correct_scale.weight",
        LaurelLeft = "blk.{i}.laurel_l.weight",
        LaurelRight = "blk.{i}.laurel_r.weight",
        LaurelPostNorm = "blk.{i}.laurel_post_norm.weight",
        FinalNorm = "output_norm.weight",
        Output = "output.weight",
    };
}
