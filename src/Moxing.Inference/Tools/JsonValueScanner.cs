namespace Moxing.Inference.Tools;

/// <summary>Finds where a JSON value that may still be arriving ends, without parsing it.</summary>
internal static class JsonValueScanner
{
    /// <summary>The index just past the JSON value starting at <paramref name="start"/> (after whitespace), or -1 when it is not complete yet.</summary>
    public static int End(string text, int start)
    {
        var i = SkipWhitespace(text, start);
        if (i >= text.Length) return -1;
        if (text[i] is not ('{' or '[' or '"'))
        {
            // A bare literal ends at the first delimiter; at the end of the text it may still grow.
            while (i < text.Length && text[i] is not (',' or '}' or ']' or ' ' or '\n' or '\r' or '\t' or ';')) i++;
            return i < text.Length ? i : -1;
        }
        var depth = 0;
        var inString = false;
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (c == '\\') i++;
                else if (c == '"')
                {
                    inString = false;
                    if (depth == 0) return i + 1;
                }
                continue;
            }
            switch (c)
            {
                case '"': inString = true; break;
                case '{' or '[': depth++; break;
                case '}' or ']':
                    if (--depth == 0) return i + 1;
                    break;
            }
        }
        return -1;
    }

    /// <summary>The first index at or after <paramref name="i"/> that is not whitespace.</summary>
    public static int SkipWhitespace(string text, int i)
    {
        while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
        return i;
    }
}
