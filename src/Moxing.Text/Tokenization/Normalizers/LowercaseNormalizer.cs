using System.Text;
using Moxing.Text.Tokenization.Unicode;

namespace Moxing.Text.Tokenization.Normalizers;

/// <summary>Lowercases every character as Rust's char::to_lowercase does.</summary>
internal sealed class LowercaseNormalizer : TextNormalizer
{
    /// <inheritdoc/>
    public override string Transform(string text) => Lowercase(text);

    /// <summary>The lowercase of a string, code point by code point.</summary>
    public static string Lowercase(string text)
    {
        var builder = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length;)
        {
            int cp = CodePoints.At(text, i, out int length);
            CodePoints.AppendLowercase(builder, cp);
            i += length;
        }
        string result = builder.ToString();
        return result == text ? text : result;
    }
}
