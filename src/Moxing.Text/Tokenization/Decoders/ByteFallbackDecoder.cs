using System.Globalization;
using System.Text;

namespace Moxing.Text.Tokenization.Decoders;

/// <summary>Joins runs of &lt;0xXX&gt; tokens into text; a run that is not valid UTF-8 becomes one U+FFFD per byte.</summary>
internal sealed class ByteFallbackDecoder : ITokenDecoder
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>The byte a &lt;0xXX&gt; token stands for, or -1.</summary>
    public static int ByteOf(string token)
    {
        if (token.Length != 6 || !token.StartsWith("<0x", StringComparison.Ordinal) || token[5] != '>') return -1;
        return byte.TryParse(token.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b) ? b : -1;
    }

    /// <inheritdoc/>
    public void DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var pending = new List<byte>();
        foreach (string token in tokens)
        {
            int b = ByteOf(token);
            if (b >= 0)
            {
                pending.Add((byte)b);
                continue;
            }
            Flush(pending, result);
            result.Add(token);
        }
        Flush(pending, result);
        tokens.Clear();
        tokens.AddRange(result);
    }

    private static void Flush(List<byte> pending, List<string> result)
    {
        if (pending.Count == 0) return;
        try
        {
            result.Add(StrictUtf8.GetString(pending.ToArray()));
        }
        catch (DecoderFallbackException)
        {
            for (int i = 0; i < pending.Count; i++) result.Add("\uFFFD");
        }
        pending.Clear();
    }
}
