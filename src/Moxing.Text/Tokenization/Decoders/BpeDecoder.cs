namespace Moxing.Text.Tokenization.Decoders;

/// <summary>Turns the end-of-word suffix into a space (none after the last token).</summary>
internal sealed class BpeDecoder(string suffix) : ITokenDecoder
{
    /// <inheritdoc/>
    public void DecodeChain(List<string> tokens)
    {
        for (int i = 0; i < tokens.Count; i++) tokens[i] = tokens[i].Replace(suffix, i == tokens.Count - 1 ? "" : " ");
    }
}
