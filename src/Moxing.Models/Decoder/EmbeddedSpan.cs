namespace Moxing.Models.Decoder;

/// <summary>
/// Embeddings given in place of a run of placeholder tokens of a sequence (an image's soft tokens): <see cref="Rows"/> holds
/// <see cref="Length"/> rows of the model's hidden width for positions [<see cref="Position"/>, <see cref="End"/>), entered as they are
/// (no embedding scale). With <see cref="Bidirectional"/> its tokens attend to each other both ways (Gemma 3's image mask), so
/// they must be computed in one step; <see cref="ContentHash"/> identifies what they encode (cached prefixes never mix two images).
/// </summary>
public sealed record EmbeddedSpan(int Position, int Length, float[] Rows, bool Bidirectional, ulong ContentHash)
{
    /// <summary>The position after the span.</summary>
    public int End => Position + Length;
}
