namespace Moxing.Text.Tokenization.Normalizers;

/// <summary>Applies normalizers one after the other.</summary>
internal sealed class SequenceNormalizer(IReadOnlyList<INormalizer> normalizers) : INormalizer
{
    /// <summary>The normalizers in order.</summary>
    public IReadOnlyList<INormalizer> Normalizers { get; } = normalizers;

    /// <inheritdoc/>
    public TextPiece Normalize(TextPiece piece)
    {
        foreach (var normalizer in Normalizers) piece = normalizer.Normalize(piece);
        return piece;
    }
}
