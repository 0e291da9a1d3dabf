using System.Text;
using Moxing.Text.Tokenization.Unicode;

namespace Moxing.Text.Tokenization.Normalizers;

/// <summary>
/// BERT's normalizer: drops control characters and maps whitespace to spaces, pads CJK ideographs with
/// spaces, strips accents (NFD then drop Mn) and lowercases.
/// </summary>
internal sealed class BertNormalizer(bool cleanText, bool handleChineseChars, bool stripAccents, bool lowercase) : TextNormalizer
{
    /// <inheritdoc/>
    public override string Transform(string text)
    {
        if (cleanText) text = CleanText(text);
        if (handleChineseChars) text = PadChineseChars(text);
        if (stripAccents)
        {
            text = CodePointFilterNormalizer.Filter(UnicodeNormalizer.Normalize(text, NormalizationForm.FormD), CodePoints.IsNonSpacingMark);
        }
        if (lowercase) text = LowercaseNormalizer.Lowercase(text);
        return text;
    }

    private static string CleanText(string text)
    {
        var builder = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length;)
        {
            int cp = CodePoints.At(text, i, out int length);
            i += length;
            bool control = cp is not ('\t' or '\n' or '\r') && CodePoints.IsOther(cp);
            if (cp == 0 || cp == 0xFFFD || control) continue;
            if (cp is '\t' or '\n' or '\r' || CodePoints.IsWhitespace(cp)) builder.Append(' ');
            else CodePoints.Append(builder, cp);
        }
        return builder.ToString();
    }

    private static string PadChineseChars(string text)
    {
        var builder = new StringBuilder(text.Length + 16);
        for (int i = 0; i < text.Length;)
        {
            int cp = CodePoints.At(text, i, out int length);
            i += length;
            if (CodePoints.IsChineseCharacter(cp))
            {
                builder.Append(' ');
                CodePoints.Append(builder, cp);
                builder.Append(' ');
            }
            else
            {
                CodePoints.Append(builder, cp);
            }
        }
        return builder.ToString();
    }
}
