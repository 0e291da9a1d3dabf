namespace Moxing.Text.Tokenization.Normalizers;

/// <summary>A normalizer that maps the whole text to new text, keeping the first char's alignment.</summary>
internal abstract class TextNormalizer : INormalizer
{
    /// <inheritdoc/>
    public virtual TextPiece Normalize(TextPiece piece)
    {
        string before = piece.Text;
        string after = Transform(before);
        return ReferenceEquals(before, after) ? piece : piece.WithText(after, piece.OriginPrefix);
    }

    /// <summary>The new text (the same instance when nothing changes).</summary>
    public abstract string Transform(string text);
}
