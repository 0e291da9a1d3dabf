using System.Text;
using Moxing.Text.Tokenization.Patterns;

namespace Moxing.Text.Tokenization.Normalizers;

/// <summary>Replaces every match of a pattern with fixed content.</summary>
internal sealed class ReplaceNormalizer(ITextPattern pattern, string content) : TextNormalizer
{
    /// <inheritdoc/>
    public override string Transform(string text) => Replace(text, pattern, content);

    /// <summary>The text with each match of <paramref name="pattern"/> replaced by <paramref name="content"/>.</summary>
    public static string Replace(string text, ITextPattern pattern, string content)
    {
        if (pattern is LiteralPattern { Literal.Length: > 0 } literal) return text.Replace(literal.Literal, content, StringComparison.Ordinal);
        var ranges = new List<SplitRange>();
        pattern.FindMatches(text, ranges);
        bool any = false;
        foreach (var range in ranges) any |= range.IsMatch;
        if (!any) return text;
        var builder = new StringBuilder(text.Length + 16);
        foreach (var range in ranges)
        {
            if (range.IsMatch) builder.Append(content);
            else builder.Append(text, range.Start, range.End - range.Start);
        }
        return builder.ToString();
    }
}
