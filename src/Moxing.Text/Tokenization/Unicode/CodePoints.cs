using System.Globalization;
using System.Text;

namespace Moxing.Text.Tokenization.Unicode;

/// <summary>Character classes as Hugging Face tokenizers (Rust) defines them, on Unicode scalar values.</summary>
internal static class CodePoints
{
    /// <summary>Rust char::is_whitespace (the White_Space property; no astral code point has it).</summary>
    public static bool IsWhitespace(int cp) => cp < 0x10000 && char.IsWhiteSpace((char)cp);

    /// <summary>ASCII punctuation or any Unicode punctuation category (HF is_punc / is_bert_punc).</summary>
    public static bool IsPunctuation(int cp)
    {
        if (cp < 0x80) return cp is >= 0x21 and <= 0x2F or >= 0x3A and <= 0x40 or >= 0x5B and <= 0x60 or >= 0x7B and <= 0x7E;
        return CharUnicodeInfo.GetUnicodeCategory(cp) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    /// <summary>Rust char::is_numeric: categories Nd, Nl and No.</summary>
    public static bool IsNumeric(int cp) => CharUnicodeInfo.GetUnicodeCategory(cp)
        is UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;

    /// <summary>The "other" categories Cc, Cf, Cs, Co and Cn.</summary>
    public static bool IsOther(int cp) => CharUnicodeInfo.GetUnicodeCategory(cp) is UnicodeCategory.Control
        or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;

    /// <summary>General category Mn.</summary>
    public static bool IsNonSpacingMark(int cp) => CharUnicodeInfo.GetUnicodeCategory(cp) == UnicodeCategory.NonSpacingMark;

    /// <summary>General category M (Mn, Mc, Me).</summary>
    public static bool IsMark(int cp) => CharUnicodeInfo.GetUnicodeCategory(cp)
        is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark;

    /// <summary>Rust regex's Unicode \w: alphabetic, marks, decimal digits, connector punctuation, joiners.</summary>
    public static bool IsWordCharacter(int cp)
    {
        if (cp is 0x200C or 0x200D) return true;
        return CharUnicodeInfo.GetUnicodeCategory(cp) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.NonSpacingMark
                or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark or UnicodeCategory.DecimalDigitNumber
                or UnicodeCategory.LetterNumber or UnicodeCategory.ConnectorPunctuation => true,
            _ => false,
        };
    }

    /// <summary>The CJK ideograph ranges BERT pads with spaces.</summary>
    public static bool IsChineseCharacter(int cp) => cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF
        or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F or >= 0x2B740 and <= 0x2B81F
        or >= 0x2B920 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;

    /// <summary>Reads the code point at <paramref name="index"/> (a lone surrogate reads as itself).</summary>
    public static int At(ReadOnlySpan<char> text, int index, out int length)
    {
        char c = text[index];
        if (char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]))
        {
            length = 2;
            return char.ConvertToUtf32(c, text[index + 1]);
        }
        length = 1;
        return c;
    }

    /// <summary>Appends a code point to a builder.</summary>
    public static void Append(StringBuilder builder, int cp)
    {
        if (cp < 0x10000) builder.Append((char)cp);
        else builder.Append(char.ConvertFromUtf32(cp));
    }

    /// <summary>Rust char::to_lowercase on one code point (the only multi-char result is U+0130).</summary>
    public static void AppendLowercase(StringBuilder builder, int cp)
    {
        if (cp == 0x130)
        {
            builder.Append("i\u0307");
            return;
        }
        if (cp < 0x10000) builder.Append(char.ToLowerInvariant((char)cp));
        else builder.Append(char.ConvertFromUtf32(cp).ToLowerInvariant());
    }
}
