namespace Moxing.Text.Tokenization.Decoders;

/// <summary>Turns token strings back into text, one step of a chain (Hugging Face Decoder::decode_chain).</summary>
internal interface ITokenDecoder
{
    /// <summary>Rewrites <paramref name="tokens"/> in place; the joined result is the decoded text.</summary>
    void DecodeChain(List<string> tokens);
}
