using System.Text;
using Moxing.Text.Tokenization.Unicode;

namespace Moxing.Text.Tokenization.Normalizers;

/// <summary>SentencePiece's NMT normalization: drops ASCII controls and maps unusual spaces to ' '.</summary>
internal sealed class NmtNormalizer : TextNormalizer
{
    /// <inheritdoc/>
    public override string Transform(string text)
    {
        var builder = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length;)
        {
            int cp = CodePoints.At(text, i, out int length);
            i += length;
            if (cp is >= 0x01 and <= 0x08 or 0x0B or >= 0x0E and <= 0x1F or 0x7F or 0x8F or 0x9F) continue;
            bool space = cp is 0x09 or 0x0A or 0x0C or 0x0D or 0x1680 or >= 0x200B and <= 0x200F or 0x2028 or 0x2029
                or 0x2581 or 0xFEFF or 0xFFFD;
            if (space) builder.Append(' ');
            else CodePoints.Append(builder, cp);
        }
        string result = builder.ToString();
        return result == text ? text : result;
    }
}
