using Moxing.Text.Tokenization.Normalizers;
using Moxing.Text.Tokenization.Patterns;

namespace Moxing.Text.Tokenization.Decoders;

/// <summary>Replaces every match of a pattern in each token.</summary>
internal sealed class ReplaceDecoder(ITextPattern pattern, string content) : ITokenDecoder
{
    /// <inheritdoc/>
    public void DecodeChain(List<string> tokens)
    {
        for (int i = 0; i < tokens.Count; i++) tokens[i] = ReplaceNormalizer.Replace(tokens[i], pattern, content);
    }
}
