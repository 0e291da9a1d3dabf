using System.Text;
using Moxing.Text.Tokenization.Unicode;

namespace Moxing.Text.Tokenization.Normalizers;

/// <summary>Removes the code points a predicate selects (StripAccents removes marks).</summary>
internal sealed class CodePointFilterNormalizer(Func<int, bool> remove) : TextNormalizer
{
    /// <summary>StripAccents: drops every combining mark (categories Mn, Mc, Me).</summary>
    public static CodePointFilterNormalizer StripAccents() => new(CodePoints.IsMark);

    /// <inheritdoc/>
    public override string Transform(string text) => Filter(text, remove);

    /// <summary>The text without the code points <paramref name="remove"/> selects.</summary>
    public static string Filter(string text, Func<int, bool> remove)
    {
        StringBuilder? builder = null;
        for (int i = 0; i < text.Length;)
        {
            int cp = CodePoints.At(text, i, out int length);
            if (remove(cp))
            {
                builder ??= new StringBuilder(text, 0, i, text.Length);
            }
            else
            {
                builder?.Append(text, i, length);
            }
            i += length;
        }
        return builder?.ToString() ?? text;
    }
}
