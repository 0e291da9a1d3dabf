namespace Moxing.Text.Tokenization.Decoders;

/// <summary>Applies decoders one after the other.</summary>
internal sealed class SequenceDecoder(IReadOnlyList<ITokenDecoder> decoders) : ITokenDecoder
{
    /// <inheritdoc/>
    public void DecodeChain(List<string> tokens)
    {
        foreach (var decoder in decoders) decoder.DecodeChain(tokens);
    }
}
