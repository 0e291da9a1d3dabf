using System.Text;

namespace Moxing.Text.Tokenization.Patterns;

/// <summary>
/// Rewrites an Oniguruma (Hugging Face tokenizers) regex into .NET syntax: possessive quantifiers become
/// atomic groups, \x{…} becomes \u…, long Unicode category names become short ones, (?m) becomes (?s).
/// Constructs .NET cannot express (scripts, class intersection, \X, \K …) are rejected.
/// </summary>
internal static class OnigurumaTranslator
{
    private static readonly Dictionary<string, string> CategoryNames = BuildCategoryNames();

    /// <summary>Translates the pattern; throws FormatException naming the construct it cannot translate.</summary>
    public static string Translate(string pattern)
    {
        var output = new StringBuilder(pattern.Length + 16);
        var groupStarts = new Stack<int>();
        int lastAtom = -1;
        int i = 0;
        while (i < pattern.Length)
        {
            char c = pattern[i];
            int atomStart = output.Length;
            switch (c)
            {
                case '\\':
                    i = TranslateEscape(pattern, i, output, inClass: false);
                    lastAtom = atomStart;
                    break;
                case '[':
                    i = TranslateClass(pattern, i, output);
                    lastAtom = atomStart;
                    break;
                case '(':
                    groupStarts.Push(output.Length);
                    i = TranslateGroupOpening(pattern, i, output);
                    lastAtom = -1;
                    break;
                case ')':
                    if (groupStarts.Count == 0) throw new FormatException($"unbalanced ')' at {i}");
                    output.Append(')');
                    lastAtom = groupStarts.Pop();
                    i++;
                    break;
                case '*' or '+' or '?':
                    output.Append(c);
                    i = TranslateQuantifierSuffix(pattern, i + 1, output, lastAtom, possessiveAllowed: true);
                    lastAtom = -1;
                    break;
                case '{' when TryReadInterval(pattern, i, out int end, out string interval):
                    output.Append(interval);
                    i = TranslateQuantifierSuffix(pattern, end, output, lastAtom, possessiveAllowed: false);
                    lastAtom = -1;
                    break;
                case '{':
                    output.Append("\\{");
                    lastAtom = atomStart;
                    i++;
                    break;
                default:
                    output.Append(c);
                    lastAtom = atomStart;
                    i++;
                    break;
            }
        }
        if (groupStarts.Count != 0) throw new FormatException("unbalanced '('");
        return output.ToString();
    }

    private static int TranslateQuantifierSuffix(string pattern, int i, StringBuilder output, int lastAtom, bool possessiveAllowed)
    {
        if (i >= pattern.Length) return i;
        if (pattern[i] == '?')
        {
            output.Append('?');
            return i + 1;
        }
        if (pattern[i] != '+') return i;
        if (lastAtom < 0) throw new FormatException($"quantifier without a target at {i}");
        // Oniguruma: X*+ is possessive (an atomic group in .NET); X{n,m}+ is a repeat of the interval.
        output.Insert(lastAtom, possessiveAllowed ? "(?>" : "(?:");
        output.Append(possessiveAllowed ? ")" : ")+");
        return i + 1;
    }

    private static bool TryReadInterval(string pattern, int i, out int end, out string interval)
    {
        int close = pattern.IndexOf('}', i);
        end = close + 1;
        interval = "";
        if (close < 0) return false;
        string body = pattern.Substring(i + 1, close - i - 1);
        string[] parts = body.Split(',');
        if (parts.Length > 2 || body.Length == 0) return false;
        foreach (string part in parts)
        {
            foreach (char d in part)
            {
                if (d is < '0' or > '9') return false;
            }
        }
        if (parts[0].Length == 0 && (parts.Length == 1 || parts[1].Length == 0)) return false;
        interval = parts[0].Length == 0 ? "{0," + parts[1] + "}" : "{" + body + "}";
        return true;
    }

    private static int TranslateGroupOpening(string pattern, int i, StringBuilder output)
    {
        if (i + 1 >= pattern.Length || pattern[i + 1] != '?')
        {
            output.Append('(');
            return i + 1;
        }
        int j = i + 2;
        if (j < pattern.Length && (char.IsLetter(pattern[j]) || pattern[j] == '-'))
        {
            // Inline options: Oniguruma's 'm' (dot matches newline) is .NET's 's'.
            output.Append("(?");
            while (j < pattern.Length && (char.IsLetter(pattern[j]) || pattern[j] == '-'))
            {
                char option = pattern[j];
                if (option is not ('i' or 'm' or 'x' or '-')) throw new FormatException($"inline option '{option}' is not supported");
                output.Append(option == 'm' ? 's' : option);
                j++;
            }
            return j;
        }
        output.Append("(?");
        return j;
    }

    private static int TranslateClass(string pattern, int i, StringBuilder output)
    {
        int classStart = output.Length;
        output.Append('[');
        int j = i + 1;
        bool negated = j < pattern.Length && pattern[j] == '^';
        if (negated)
        {
            output.Append('^');
            j++;
        }
        int contentStart = output.Length;
        bool first = true;
        while (j < pattern.Length)
        {
            char c = pattern[j];
            if (c == ']' && !first)
            {
                if (output.Length == contentStart)
                {
                    // Only astral members were listed: the class can never (or, negated, always) match.
                    output.Length = classStart;
                    output.Append(negated ? @"[\s\S]" : "(?!)");
                    return j + 1;
                }
                output.Append(']');
                return j + 1;
            }
            first = false;
            if (char.IsHighSurrogate(c))
            {
                // Astral members are left out: matching maps astral code points to same-category BMP stand-ins.
                j += 2;
                if (j + 1 < pattern.Length && pattern[j] == '-' && char.IsHighSurrogate(pattern[j + 1])) j += 3;
                continue;
            }
            if (c == '\\')
            {
                j = TranslateEscape(pattern, j, output, inClass: true);
            }
            else if (c == '[' && j + 1 < pattern.Length && pattern[j + 1] == ':')
            {
                j = TranslatePosixClass(pattern, j, output);
            }
            else if (c == '[')
            {
                // A class inside a class adds its members (BLOOM's " ?[^(\s|[.,!?…])]+"); a negated one cannot be inlined.
                if (j + 1 < pattern.Length && pattern[j + 1] == '^') throw new FormatException($"negated nested character class at {j}");
                var nested = new StringBuilder();
                j = TranslateClass(pattern, j, nested);
                if (nested[0] == '[') output.Append(nested.ToString(1, nested.Length - 2));
            }
            else if (c == '&' && j + 1 < pattern.Length && pattern[j + 1] == '&')
            {
                throw new FormatException($"character class intersection '&&' at {j}");
            }
            else
            {
                output.Append(c);
                j++;
            }
        }
        throw new FormatException("unterminated character class");
    }

    private static int TranslatePosixClass(string pattern, int j, StringBuilder output)
    {
        int close = pattern.IndexOf(":]", j + 2, StringComparison.Ordinal);
        if (close < 0) throw new FormatException($"unterminated POSIX class at {j}");
        string name = pattern.Substring(j + 2, close - j - 2);
        output.Append(name switch
        {
            "alpha" => @"\p{L}\p{M}",
            "digit" => @"\p{Nd}",
            "alnum" => @"\p{L}\p{M}\p{Nd}",
            "upper" => @"\p{Lu}",
            "lower" => @"\p{Ll}",
            "space" => @"\s",
            "punct" => @"\p{P}",
            "xdigit" => "0-9A-Fa-f",
            "word" => @"\w",
            "cntrl" => @"\p{Cc}",
            "blank" => @"\t\p{Zs}",
            _ => throw new FormatException($"POSIX class [:{name}:] is not supported"),
        });
        return close + 2;
    }

    private static int TranslateEscape(string pattern, int i, StringBuilder output, bool inClass)
    {
        if (i + 1 >= pattern.Length) throw new FormatException("pattern ends with a lone backslash");
        char e = pattern[i + 1];
        switch (e)
        {
            case 'p' or 'P':
                return TranslateProperty(pattern, i, output, negated: e == 'P');
            case 'x' when i + 2 < pattern.Length && pattern[i + 2] == '{':
                return TranslateHexEscape(pattern, i, output);
            case 'h':
                output.Append(inClass ? "0-9a-fA-F" : "[0-9a-fA-F]");
                return i + 2;
            case 'H' when !inClass:
                output.Append("[^0-9a-fA-F]");
                return i + 2;
            case 'N' when !inClass:
                output.Append("[^\\n]");
                return i + 2;
            case 'H' or 'N' or 'R' or 'X' or 'K' or 'O' or 'y' or 'Y' or 'g' or 'k':
                throw new FormatException($"escape \\{e} is not supported");
            default:
                output.Append('\\').Append(e);
                return i + 2;
        }
    }

    private static int TranslateHexEscape(string pattern, int i, StringBuilder output)
    {
        int close = pattern.IndexOf('}', i + 3);
        if (close < 0) throw new FormatException($"unterminated \\x{{ at {i}");
        string digits = pattern.Substring(i + 3, close - i - 3);
        if (!int.TryParse(digits, System.Globalization.NumberStyles.AllowHexSpecifier, null, out int value))
        {
            throw new FormatException($"\\x{{{digits}}} is not a hexadecimal code point");
        }
        if (value > 0xFFFF) throw new FormatException($"astral code point \\x{{{value:X}}} is not supported");
        output.Append("\\u").Append(value.ToString("X4"));
        return close + 1;
    }

    private static int TranslateProperty(string pattern, int i, StringBuilder output, bool negated)
    {
        if (i + 2 >= pattern.Length || pattern[i + 2] != '{') throw new FormatException($"\\p without {{name}} at {i}");
        int close = pattern.IndexOf('}', i + 3);
        if (close < 0) throw new FormatException($"unterminated \\p{{ at {i}");
        string name = pattern.Substring(i + 3, close - i - 3);
        if (name.StartsWith('^'))
        {
            negated = !negated;
            name = name[1..];
        }
        string key = name.Replace("_", "").Replace(" ", "").Replace("-", "").ToLowerInvariant();
        if (!CategoryNames.TryGetValue(key, out string? category))
        {
            throw new FormatException($"Unicode property \\p{{{name}}} is not supported (only general categories are)");
        }
        output.Append(negated ? "\\P{" : "\\p{").Append(category).Append('}');
        return close + 1;
    }

    private static Dictionary<string, string> BuildCategoryNames()
    {
        var names = new Dictionary<string, string>();
        void Add(string shortName, string longName)
        {
            names[shortName.ToLowerInvariant()] = shortName;
            names[longName.Replace("_", "").ToLowerInvariant()] = shortName;
        }
        Add("L", "Letter"); Add("Lu", "Uppercase_Letter"); Add("Ll", "Lowercase_Letter"); Add("Lt", "Titlecase_Letter");
        Add("Lm", "Modifier_Letter"); Add("Lo", "Other_Letter");
        Add("M", "Mark"); Add("Mn", "Nonspacing_Mark"); Add("Mc", "Spacing_Mark"); Add("Me", "Enclosing_Mark");
        Add("N", "Number"); Add("Nd", "Decimal_Number"); Add("Nl", "Letter_Number"); Add("No", "Other_Number");
        Add("P", "Punctuation"); Add("Pc", "Connector_Punctuation"); Add("Pd", "Dash_Punctuation");
        Add("Ps", "Open_Punctuation"); Add("Pe", "Close_Punctuation"); Add("Pi", "Initial_Punctuation");
        Add("Pf", "Final_Punctuation"); Add("Po", "Other_Punctuation");
        Add("S", "Symbol"); Add("Sm", "Math_Symbol"); Add("Sc", "Currency_Symbol"); Add("Sk", "Modifier_Symbol");
        Add("So", "Other_Symbol");
        Add("Z", "Separator"); Add("Zs", "Space_Separator"); Add("Zl", "Line_Separator"); Add("Zp", "Paragraph_Separator");
        Add("C", "Other"); Add("Cc", "Control"); Add("Cf", "Format"); Add("Cs", "Surrogate"); Add("Co", "Private_Use");
        Add("Cn", "Unassigned");
        names["digit"] = "Nd";
        return names;
    }
}
