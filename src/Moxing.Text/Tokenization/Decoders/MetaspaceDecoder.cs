using Moxing.Text.Tokenization.PreTokenizers;

namespace Moxing.Text.Tokenization.Decoders;

/// <summary>Turns ▁ back into spaces; in the first token the ▁ are dropped unless the prepend scheme is "never".</summary>
internal sealed class MetaspaceDecoder(char replacement, PrependScheme prependScheme) : ITokenDecoder
{
    /// <inheritdoc/>
    public void DecodeChain(List<string> tokens)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            tokens[i] = i == 0 && prependScheme != PrependScheme.Never
                ? tokens[i].Replace(replacement.ToString(), "")
                : tokens[i].Replace(replacement, ' ');
        }
    }
}
