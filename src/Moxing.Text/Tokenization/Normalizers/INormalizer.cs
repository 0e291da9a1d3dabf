namespace Moxing.Text.Tokenization.Normalizers;

/// <summary>Rewrites text before pre-tokenization (Hugging Face Normalizer).</summary>
internal interface INormalizer
{
    /// <summary>The normalized piece.</summary>
    TextPiece Normalize(TextPiece piece);
}
