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
}

/// <summary>Weights of one transformer block.</summary>
public sealed class DecoderLayerWeights
{
    /// <summary>Norm before attention.</summary>
    public required Norm AttentionNorm { get; init; }
    /// <summary>Attention projections.</summary>
    public required AttentionWeights Attention { get; init; }
    /// <summary>Norm of the attention output before the residual add (Gemma 2).</summary>
    public Norm? PostAttentionNorm { get; init; }
    /// <summary>Norm before the MLP.</summary>
    public required Norm MlpNorm { get; init; }
    /// <summary>MLP projections.</summary>
    public required MlpWeights Mlp { get; init; }
    /// <summary>Norm of the MLP output before the residual add (Gemma 2).</summary>
    public Norm? PostMlpNorm { get; init; }
}

/// <summary>All weights of a decoder, in their stored types.</summary>
public sealed class DecoderWeights
{
    /// <summary>Token embedding [vocab, hidden].</summary>
    public required StoredTensor TokenEmbedding { get; init; }
    /// <summary>Learned position embedding [positions, hidden] (GPT-2).</summary>
    public StoredTensor? PositionEmbedding { get; init; }
    /// <summary>The blocks.</summary>
    public required DecoderLayerWeights[] Layers { get; init; }
    /// <summary>Final norm.</summary>
    public required Norm FinalNorm { get; init; }
    /// <summary>LM head [vocab, hidden] (the token embedding when tied).</summary>
    public required Linear Output { get; init; }

    /// <summary>Every weight matrix the kernels read: embeddings, projections and the LM head (a tied head once).</summary>
    public IEnumerable<StoredTensor> Matrices
    {
        get
        {
            var seen = new HashSet<StoredTensor>(ReferenceEqualityComparer.Instance) { TokenEmbedding };
            if (PositionEmbedding != null) seen.Add(PositionEmbedding);
            foreach (var linear in Linears) seen.Add(linear.Weight);
            return seen;
        }
    }

    /// <summary>Every projection of every layer, then the LM head.</summary>
    public IEnumerable<Linear> Linears
    {
        get
        {
            foreach (var layer in Layers)
            {
                var a = layer.Attention;
                var m = layer.Mlp;
                foreach (var linear in new[] { a.Q, a.K, a.V, a.Qkv, a.O, m.Gate, m.Up, m.GateUp, m.Down })
                    if (linear != null) yield return linear;
            }
            yield return Output;
        }
    }
}
