using Moxing.Text.Tokenization.Models;

namespace Moxing.Text.Tokenization.Normalizers;

/// <summary>Replaces the text by its UTF-8 bytes written in GPT-2's byte alphabet.</summary>
internal sealed class ByteLevelNormalizer : TextNormalizer
{
    /// <inheritdoc/>
    public override string Transform(string text) => ByteLevelAlphabet.Encode(text);
}
