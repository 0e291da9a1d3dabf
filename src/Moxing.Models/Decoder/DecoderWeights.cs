using Moxing.Core.Tensors;
using Moxing.Models.Layers;

namespace Moxing.Models.Decoder;

/// <summary>The attention projections of one block: separate Q/K/V, or one fused QKV matrix (Phi-3, GPT-2).</summary>
public sealed class AttentionWeights
{
    /// <summary>Query projection (null when fused).</summary>
    public Linear? Q { get; init; }
    /// <summary>Key projection (null when fused).</summary>
    public Linear? K { get; init; }
    /// <summary>Value projection (null when fused).</summary>
    public Linear? V { get; init; }
    /// <summary>Fused [q; k; v] projection (null when separate).</summary>
    public Linear? Qkv { get; init; }
    /// <summary>Output projection.</summary>
    public required Linear O { get; init; }
    /// <summary>Per-head query norm (Qwen3).</summary>
    public Norm? QNorm { get; init; }
    /// <summary>Per-head key norm (Qwen3).</summary>
    public Norm? KNorm { get; init; }
    /// <summary>Per-head value norm without weights (Gemma 4's v_norm), null for none.</summary>
    public Norm? VNorm { get; init; }
    /// <summary>One attention-sink logit per query head (gpt-oss), null for none.</summary>
    public float[]? Sinks { get; init; }
    /// <summary>The low-rank projections of multi-head latent attention (DeepSeek), null for none; its q projection without a query rank is <see cref="Q"/>.</summary>
    public MlaWeights? Mla { get; init; }

    /// <summary>The projections present: q, k, v, qkv, the latent ones, o.</summary>
    public IEnumerable<Linear> Linears
    {
        get
        {
            foreach (var linear in new[] { Q, K, V, Qkv, Mla?.QA, Mla?.QB, Mla?.KvA, O })
                if (linear != null) yield return linear;
        }
    }
}

/// <summary>Multi-head latent attention's projections (<see cref="MlaOptions"/>).</summary>
public sealed class MlaWeights
{
    /// <summary>q_a_proj [q rank, hidden] (null without a query rank).</summary>
    public Linear? QA { get; init; }
    /// <summary>RMSNorm of the query latent (null without a query rank).</summary>
    public Norm? QANorm { get; init; }
    /// <summary>q_b_proj [heads · head_dim, q rank] (null without a query rank).</summary>
    public Linear? QB { get; init; }
    /// <summary>kv_a_proj_with_mqa [kv rank + rope dim, hidden]: the key/value latent, then the shared rotary key part.</summary>
    public required Linear KvA { get; init; }
    /// <summary>RMSNorm of the key/value latent.</summary>
    public required Norm KvANorm { get; init; }
    /// <summary>
    /// Per head, the block of kv_b_proj that gives its unrotated key part from the latent: [unrotated key dims, kv rank] as kv_b stores
    /// it, or [kv rank, unrotated key dims] as llama.cpp's attn_k_b does (<see cref="KeysByLatent"/>); views of the stored tensor.
    /// </summary>
    public required StoredTensor[] KeyHeads { get; init; }
    /// <summary>Whether <see cref="KeyHeads"/> are [kv rank, unrotated key dims] (attn_k_b): what absorbs a query by a plain product.</summary>
    public bool KeysByLatent { get; init; }
    /// <summary>Per head, the block of kv_b_proj that gives its value from the latent, [value dims, kv rank] (kv_b's rows or attn_v_b).</summary>
    public required StoredTensor[] ValueHeads { get; init; }
}

/// <summary>The MLP of one block: gate/up/down, fused gate_up (Phi-3), or up/down without a gate (GPT-2).</summary>
public sealed class MlpWeights
{
    /// <summary>Gate projection (null when fused or ungated).</summary>
    public Linear? Gate { get; init; }
    /// <summary>Up projection (null when fused).</summary>
    public Linear? Up { get; init; }
    /// <summary>Fused [gate; up] projection.</summary>
    public Linear? GateUp { get; init; }
    /// <summary>Down projection.</summary>
    public required Linear Down { get; init; }

    /// <summary>The projections present, in gate, up, gate_up, down order.</summary>
    public IEnumerable<Linear> Linears
    {
        get
        {
            foreach (var linear in new[] { Gate, Up, GateUp, Down })
                if (linear != null) yield return linear;
        }
    }
}

/// <summary>
/// A sparse mixture-of-experts feed-forward: the router, each expert's gate/up/down (views of a GGUF's 3-D expert tensors, or
/// a Hugging Face checkpoint's own matrices), and optionally a shared expert with its sigmoid gate (Qwen2-MoE).
/// </summary>
public sealed class MoeWeights
{
    /// <summary>Router [experts, hidden]: one logit per expert.</summary>
    public required Linear Router { get; init; }
    /// <summary>The experts, in router order.</summary>
    public required MlpWeights[] Experts { get; init; }
    /// <summary>The shared expert every token runs (null for none).</summary>
    public MlpWeights? Shared { get; init; }
    /// <summary>Gate of the shared expert [1, hidden]: its output is scaled by sigmoid(gate · x); null: added as it is (Granite MoE, ERNIE 4.5).</summary>
    public Linear? SharedGate { get; init; }
    /// <summary>Added to the router's probabilities to choose the experts, not to weight them (ERNIE 4.5's e_score_correction_bias); null for none.</summary>
    public float[]? SelectionBias { get; init; }
    /// <summary>The router's own norm of the stream, its weights router.scale / √hidden (<see cref="MoeOptions.RouterScaledNorm"/>); null: the router reads the expert input.</summary>
    public Norm? RouterNorm { get; init; }
    /// <summary>Each expert's scale of its weight (<see cref="MoeOptions.ExpertScales"/>); null for none.</summary>
    public float[]? ExpertScales { get; init; }
    /// <summary>The routed experts' norm of the stream (<see cref="MoeOptions.BranchNorms"/>); null: they read the feed-forward's normed input.</summary>
    public Norm? ExpertNorm { get; init; }
    /// <summary>The norm of the routed experts' summed output; null for none.</summary>
    public Norm? ExpertPostNorm { get; init; }
    /// <summary>The norm of the shared expert's output; null for none.</summary>
    public Norm? SharedPostNorm { get; init; }
    /// <summary>The file's tensors behind <see cref="Views"/> (3-D expert stacks, a 1-D shared gate).</summary>
    public IReadOnlyList<StoredTensor> Stored { get; init; } = [];
    /// <summary>Matrices made over part of a file tensor of <see cref="Stored"/> (one expert of a stack), not file tensors themselves.</summary>
    public IReadOnlyList<StoredTensor> Views { get; init; } = [];

    private volatile bool _repacked;

    /// <summary>
    /// Repacks every expert at the layer's first one-token step, as a dense layer's weights all are at theirs, so an expert
    /// first chosen much later does not stall (and allocate in) that step.
    /// </summary>
    public void RepackAll()
    {
        if (_repacked) return;
        foreach (var linear in Linears) linear.EnsureRepacked();
        _repacked = true;
    }

    /// <summary>Router, experts, shared expert and its gate.</summary>
    public IEnumerable<Linear> Linears
    {
        get
        {
            yield return Router;
            foreach (var expert in Experts)
                foreach (var linear in expert.Linears) yield return linear;
            if (Shared != null)
                foreach (var linear in Shared.Linears) yield return linear;
            if (SharedGate != null) yield return SharedGate;
        }
    }
}

/// <summary>A gated short convolution in place of attention (LFM2, <see cref="ShortConvOptions"/>).</summary>
public sealed class ShortConvWeights
{
    /// <summary>in_proj [3 · hidden, hidden]: B, C and x.</summary>
    public required Linear InProj { get; init; }
    /// <summary>The depthwise kernel, [hidden, taps] row-major: tap taps − 1 reads the current input.</summary>
    public required float[] Kernel { get; init; }
    /// <summary>Bias of the convolution per channel (conv_bias), null for none.</summary>
    public float[]? KernelBias { get; init; }
    /// <summary>out_proj [hidden, hidden].</summary>
    public required Linear OutProj { get; init; }
}

/// <summary>A Mamba2 mixer in place of attention (Granite 4.0 hybrid, <see cref="MambaOptions"/>), or Mamba 1's (<see cref="MambaOptions.Selective"/>).</summary>
public sealed class MambaWeights
{
    /// <summary>in_proj [z + x·B·C + heads, hidden] (Mamba 1: [x + z, hidden]).</summary>
    public required Linear InProj { get; init; }
    /// <summary>The depthwise kernel over x·B·C (Mamba 1: x), [channels, taps] row-major.</summary>
    public required float[] ConvKernel { get; init; }
    /// <summary>Bias of the convolution per channel, null for none.</summary>
    public float[]? ConvBias { get; init; }
    /// <summary>Added to each head's time step before its softplus (dt_bias); null in Mamba 1, whose <see cref="DtProj"/> carries it.</summary>
    public float[]? DtBias { get; init; }
    /// <summary>Each head's decay rate A = −exp(A_log) (negative); Mamba 1's per channel and state, [inner, state] row-major.</summary>
    public required float[] A { get; init; }
    /// <summary>Each head's skip connection D (Mamba 1: each channel's).</summary>
    public required float[] D { get; init; }
    /// <summary>Mamba 1's x_proj [time-step rank + 2 · state, inner]: the time-step inputs, B and C from the convolved x; null in Mamba2.</summary>
    public Linear? XProj { get; init; }
    /// <summary>Mamba 1's dt_proj [inner, time-step rank] with its bias: each channel's time step before its softplus; null in Mamba2.</summary>
    public Linear? DtProj { get; init; }
    /// <summary>Mamba 1's norms of the time-step inputs, B and C (<see cref="MambaOptions.SelectionNorms"/>); null for none.</summary>
    public (Norm TimeStep, Norm B, Norm C)? SelectionNorms { get; init; }
    /// <summary>The gated RMSNorm over the inner width, in its groups; null where the mixer has none (Falcon-H1's mamba_rms_norm false).</summary>
    public Norm? Norm { get; init; }
    /// <summary>out_proj [hidden, inner].</summary>
    public required Linear OutProj { get; init; }
}

/// <summary>A Gated DeltaNet in place of attention (Qwen3-Next, Qwen3.5, <see cref="DeltaNetOptions"/>).</summary>
public sealed class DeltaNetWeights
{
    /// <summary>in_proj_qkv [2 · key dim + value dim, hidden]: every query head, every key head, every value head.</summary>
    public required Linear Qkv { get; init; }
    /// <summary>in_proj_z [value dim, hidden]: the output gate.</summary>
    public required Linear Z { get; init; }
    /// <summary>in_proj_b [value heads, hidden] (null when fused in <see cref="BetaAlpha"/>).</summary>
    public Linear? Beta { get; init; }
    /// <summary>in_proj_a [value heads, hidden] (null when fused in <see cref="BetaAlpha"/>).</summary>
    public Linear? Alpha { get; init; }
    /// <summary>Qwen3-Next's in_proj_ba [2 · value heads, hidden]: per key head its value heads' b, then their a.</summary>
    public Linear? BetaAlpha { get; init; }
    /// <summary>The depthwise kernel over q·k·v, [channels, taps] row-major.</summary>
    public required float[] ConvKernel { get; init; }
    /// <summary>Added to each value head's a before its softplus (dt_bias).</summary>
    public required float[] DtBias { get; init; }
    /// <summary>Each value head's decay rate −exp(A_log) (negative).</summary>
    public required float[] A { get; init; }
    /// <summary>The RMSNorm of each value head's output (its value-dim weights repeated per head).</summary>
    public required Norm Norm { get; init; }
    /// <summary>out_proj [hidden, value dim].</summary>
    public required Linear OutProj { get; init; }

    /// <summary>The projections present.</summary>
    public IEnumerable<Linear> Linears
    {
        get
        {
            foreach (var linear in new[] { Qkv, Z, Beta, Alpha, BetaAlpha, OutProj })
                if (linear != null) yield return linear;
        }
    }
}

/// <summary>Weights of one transformer block.</summary>
public sealed class DecoderLayerWeights
{
    /// <summary>Norm before attention or the short convolution (null without pre-norms: OLMo 2).</summary>
    public Norm? AttentionNorm { get; init; }
    /// <summary>Attention projections (null in a short-convolution layer).</summary>
    public AttentionWeights? Attention { get; init; }
    /// <summary>The short convolution of a layer that does not attend (LFM2), null in an attention layer.</summary>
    public ShortConvWeights? ShortConv { get; init; }
    /// <summary>The Mamba2 mixer of a layer that does not attend (Granite 4.0 hybrid) or that runs beside its attention (Falcon-H1), null elsewhere.</summary>
    public MambaWeights? Mamba { get; init; }
    /// <summary>The Gated DeltaNet of a layer that does not attend (Qwen3-Next, Qwen3.5), null elsewhere.</summary>
    public DeltaNetWeights? DeltaNet { get; init; }
    /// <summary>Norm of the attention output before the residual add (Gemma 2).</summary>
    public Norm? PostAttentionNorm { get; init; }
    /// <summary>Norm before the MLP (null without pre-norms, or in a parallel block of one norm, whose MLP reads the attention norm's output).</summary>
    public Norm? MlpNorm { get; init; }
    /// <summary>MLP projections (null in a sparse mixture-of-experts layer).</summary>
    public MlpWeights? Mlp { get; init; }
    /// <summary>Router and experts of a sparse mixture-of-experts layer (null in a dense layer).</summary>
    public MoeWeights? Moe { get; init; }
    /// <summary>Norm of the MLP output before the residual add (Gemma 2).</summary>
    public Norm? PostMlpNorm { get; init; }
    /// <summary>The layer's share of the per-layer inputs (Gemma 3n, Gemma 4), null for none.</summary>
    public PerLayerInputWeights? PerLayerInput { get; init; }
    /// <summary>Multiplier of the layer's output (Gemma 4's layer_scalar), 1 for none.</summary>
    public float OutputScale { get; init; } = 1f;
    /// <summary>The layer's AltUp router and coefficients (Gemma 3n), null for none.</summary>
    public AltUpWeights? AltUp { get; init; }
    /// <summary>The layer's Laurel block (Gemma 3n), null for none.</summary>
    public LaurelWeights? Laurel { get; init; }
}

/// <summary>What one layer adds from its per-layer input: proj(act(gate(x)) · input), normed (Gemma 3n, Gemma 4).</summary>
public sealed class PerLayerInputWeights
{
    /// <summary>per_layer_input_gate [per-layer width, hidden].</summary>
    public required Linear Gate { get; init; }
    /// <summary>per_layer_projection [hidden, per-layer width].</summary>
    public required Linear Projection { get; init; }
    /// <summary>post_per_layer_input_norm over the hidden width.</summary>
    public required Norm PostNorm { get; init; }
}

/// <summary>Where the per-layer inputs come from: a token table of every layer's slices plus a projection of the embeddings (Gemma 3n, Gemma 4).</summary>
public sealed class PerLayerEmbeddingWeights
{
    /// <summary>embed_tokens_per_layer [vocab, layers · per-layer width].</summary>
    public required StoredTensor TokenTable { get; init; }
    /// <summary>per_layer_model_projection [layers · per-layer width, hidden].</summary>
    public required Linear ModelProjection { get; init; }
    /// <summary>per_layer_projection_norm over one layer's slice.</summary>
    public required Norm ProjectionNorm { get; init; }
}

/// <summary>All weights of a decoder, in their stored types.</summary>
public sealed class DecoderWeights
{
    /// <summary>Token embedding [vocab, hidden].</summary>
    public required StoredTensor TokenEmbedding { get; init; }
    /// <summary>Learned position embedding [positions, hidden] (GPT-2).</summary>
    public StoredTensor? PositionEmbedding { get; init; }
    /// <summary>Norm of the token embeddings before the first block (BLOOM), null for none.</summary>
    public Norm? EmbeddingNorm { get; init; }
    /// <summary>The blocks.</summary>
    public required DecoderLayerWeights[] Layers { get; init; }
    /// <summary>The per-layer inputs' table and projection (Gemma 3n, Gemma 4), null for none.</summary>
    public PerLayerEmbeddingWeights? PerLayerEmbeddings { get; init; }
    /// <summary>The projections into and out of the extra AltUp streams (Gemma 3n), null for none.</summary>
    public AltUpStreamWeights? AltUpStreams { get; init; }
    /// <summary>Final norm.</summary>
    public required Norm FinalNorm { get; init; }
    /// <summary>LM head [vocab, hidden] (the token embedding when tied).</summary>
    public required Linear Output { get; init; }

    /// <summary>
    /// Every weight matrix the kernels read: embeddings, projections and the LM head (a tied head once); experts stored as one
    /// 3-D tensor count as that tensor, not as the per-expert views the kernels are given.
    /// </summary>
    public IEnumerable<StoredTensor> Matrices
    {
        get
        {
            var seen = new HashSet<StoredTensor>(ReferenceEqualityComparer.Instance) { TokenEmbedding };
            if (PositionEmbedding != null) seen.Add(PositionEmbedding);
            if (PerLayerEmbeddings != null) seen.Add(PerLayerEmbeddings.TokenTable);
            var views = new HashSet<StoredTensor>(ReferenceEqualityComparer.Instance);
            if (AltUpStreams != null)
            {
                views.UnionWith(AltUpStreams.Views);
                seen.UnionWith(AltUpStreams.Stored);
            }
            foreach (var layer in Layers)
                if (layer.Moe is { } moe)
                {
                    views.UnionWith(moe.Views);
                    seen.UnionWith(moe.Stored);
                }
            foreach (var linear in Linears)
                if (!views.Contains(linear.Weight)) seen.Add(linear.Weight);
            return seen;
        }
    }

    /// <summary>
    /// Copies every weight that is copied at its first one-token product (a faster layout, or as stored into huge pages) now;
    /// returns the bytes copied. A server does this while the model loads, so neither its first decode step stalls on it nor a model that
    /// only ever runs batches of several sequences stays on the file's layout.
    /// </summary>
    public long Repack()
    {
        var bytes = 0L;
        foreach (var linear in Linears.Distinct())
        {
            linear.EnsureRepacked();
            if (linear.Repacked) bytes += linear.Weight.ByteLength;
        }
        return bytes;
    }

    /// <summary>Every projection of every layer, then the LM head.</summary>
    public IEnumerable<Linear> Linears
    {
        get
        {
            if (PerLayerEmbeddings != null) yield return PerLayerEmbeddings.ModelProjection;
            if (AltUpStreams != null)
                foreach (var linear in AltUpStreams.Projections.Concat(AltUpStreams.Unembeddings)) yield return linear;
            foreach (var layer in Layers)
            {
                if (layer.Attention is { } a)
                    foreach (var linear in a.Linears) yield return linear;
                if (layer.ShortConv is { } conv)
                {
                    yield return conv.InProj;
                    yield return conv.OutProj;
                }
                if (layer.Mamba is { } mamba)
                    foreach (var linear in new[] { mamba.InProj, mamba.XProj, mamba.DtProj, mamba.OutProj })
                        if (linear != null) yield return linear;
                if (layer.DeltaNet is { } delta)
                    foreach (var linear in delta.Linears) yield return linear;
                if (layer.Mlp is { } m)
                    foreach (var linear in m.Linears) yield return linear;
                if (layer.Moe is { } moe)
                    foreach (var linear in moe.Linears) yield return linear;
                if (layer.PerLayerInput is { } input)
                {
                    yield return input.Gate;
                    yield return input.Projection;
                }
                if (layer.AltUp is { } altUp) yield return altUp.Router;
                if (layer.Laurel is { } laurel)
                {
                    yield return laurel.Left;
                    yield return laurel.Right;
                }
            }
            yield return Output;
        }
    }
}
