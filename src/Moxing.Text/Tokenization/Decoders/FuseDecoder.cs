namespace Moxing.Text.Tokenization.Decoders;

/// <summary>Joins all tokens into one.</summary>
internal sealed class FuseDecoder : ITokenDecoder
{
    /// <inheritdoc/>
    public void DecodeChain(List<string> tokens)
    {
        string joined = string.Concat(tokens);
        tokens.Clear();
        tokens.Add(joined);
    }
}
