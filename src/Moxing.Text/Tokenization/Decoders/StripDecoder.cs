using System.Text;

namespace Moxing.Text.Tokenization.Decoders;

/// <summary>Removes up to <c>start</c> leading and <c>stop</c> trailing copies of a character from each token.</summary>
internal sealed class StripDecoder(string content, int start, int stop) : ITokenDecoder
{
    /// <inheritdoc/>
    public void DecodeChain(List<string> tokens)
    {
        for (int t = 0; t < tokens.Count; t++)
        {
            string token = tokens[t];
            int begin = 0;
            for (int n = 0; n < start && begin < token.Length && token.AsSpan(begin).StartsWith(content, StringComparison.Ordinal); n++)
            {
                begin += content.Length;
            }
            int end = token.Length;
            for (int n = 0; n < stop && end - content.Length >= begin && token.AsSpan(0, end).EndsWith(content, StringComparison.Ordinal); n++)
            {
                end -= content.Length;
            }
            if (begin != 0 || end != token.Length) tokens[t] = token[begin..end];
        }
    }
}
