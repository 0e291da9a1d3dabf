using System.Text;
using Moxing.Text.Tokenization.Models;

namespace Moxing.Text.Tokenization.Decoders;

/// <summary>Maps byte-alphabet chars back to bytes and decodes them as UTF-8 (invalid bytes become U+FFFD).</summary>
internal sealed class ByteLevelDecoder : ITokenDecoder
{
    /// <inheritdoc/>
    public void DecodeChain(List<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (string token in tokens)
        {
            if (IsByteLevel(token))
            {
                foreach (char c in token) bytes.Add((byte)ByteLevelAlphabet.Byte(c));
                continue;
            }
            // A token outside the byte alphabet (an added token) contributes its own UTF-8.
            bytes.AddRange(Encoding.UTF8.GetBytes(token));
        }
        tokens.Clear();
        tokens.Add(Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes)));
    }

    private static bool IsByteLevel(string token)
    {
        foreach (char c in token)
        {
            if (ByteLevelAlphabet.Byte(c) < 0) return false;
        }
        return true;
    }
}
