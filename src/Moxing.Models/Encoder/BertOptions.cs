using Moxing.Core.Ops;

namespace Moxing.Models.Encoder;

/// <summary>Hyper-parameters of a BERT-style encoder (BERT, RoBERTa/XLM-RoBERTa, nomic-bert).</summary>
/// <param name="VocabSize">Rows of the word embedding.</param>
/// <param name="HiddenSize">Width of the hidden states.</param>
/// <param name="LayerCount">Encoder layers.</param>
/// <param name="HeadCount">Attention heads.</param>
/// <param name="IntermediateSize">Width of the feed-forward layer.</param>
/// <param name="MaxPositions">Positions the model takes (learned rows past <see cref="PositionOffset"/>, or the rotary context).</param>
/// <param name="NormEps">LayerNorm epsilon.</param>
/// <param name="Activation">Feed-forward activation.</param>
public sealed record BertOptions(int VocabSize, int HiddenSize, int LayerCount, int HeadCount, int IntermediateSize,
    int MaxPositions, float NormEps, Activation Activation)
{
    /// <summary>Row of the position embedding the first token reads (RoBERTa's padding_idx + 1; 0 for BERT and converted GGUFs).</summary>
    public int PositionOffset { get; init; }

    /// <summary>Rotary embeddings on q and k instead of learned positions (nomic-bert); null for learned positions.</summary>
    public RopeConfig? Rope { get; init; }

    /// <summary>The feed-forward is act(gate) · up, then down (nomic-bert's SwiGLU), instead of act(up), then down.</summary>
    public bool GatedFeedForward { get; init; }
}
