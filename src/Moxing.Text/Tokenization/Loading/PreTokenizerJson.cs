using Moxing.Text.Tokenization.Patterns;
using Moxing.Text.Tokenization.PreTokenizers;

namespace Moxing.Text.Tokenization.Loading;

/// <summary>Reads the "pre_tokenizer" section of tokenizer.json.</summary>
internal static class PreTokenizerJson
{
    /// <summary>The pre-tokenizer at <paramref name="node"/>.</summary>
    public static IPreTokenizer Read(JsonNode node)
    {
        string type = node.Type();
        return type switch
        {
            "Split" => ReadSplit(node),
            "ByteLevel" => new ByteLevelPreTokenizer(node.Bool("add_prefix_space", true), node.Bool("use_regex", true)),
            "Metaspace" => ReadMetaspace(node, out _, out _),
            "Whitespace" => PatternSplitPreTokenizer.Whitespace(),
            "WhitespaceSplit" => PatternSplitPreTokenizer.WhitespaceSplit(),
            "BertPreTokenizer" => new SequencePreTokenizer([PatternSplitPreTokenizer.WhitespaceSplit(),
                PatternSplitPreTokenizer.Punctuation(SplitDelimiterBehavior.Isolated)]),
            "Punctuation" => PatternSplitPreTokenizer.Punctuation(ReadBehavior(node.Optional("behavior"), SplitDelimiterBehavior.Isolated)),
            "Digits" => PatternSplitPreTokenizer.Digits(node.Bool("individual_digits", false)),
            "CharDelimiterSplit" => PatternSplitPreTokenizer.CharDelimiter(ReadChar(node.Required("delimiter"))),
            "FixedLength" => new FixedLengthPreTokenizer(Math.Max(1, node.Index("length", 5))),
            "Sequence" => new SequencePreTokenizer([.. node.Required("pretokenizers").Items().Select(Read)]),
            "UnicodeScripts" => throw node.Required("type").Error("the UnicodeScripts pre-tokenizer is not supported"),
            _ => throw node.Required("type").Error($"unknown pre-tokenizer type '{type}'"),
        };
    }

    /// <summary>Reads Metaspace settings (shared by the pre-tokenizer and the decoder).</summary>
    public static MetaspacePreTokenizer ReadMetaspace(JsonNode node, out char replacement, out PrependScheme scheme)
    {
        replacement = (char)ReadChar(node.Required("replacement"));
        scheme = node.OptionalString("prepend_scheme") switch
        {
            null or "always" => PrependScheme.Always,
            "first" => PrependScheme.First,
            "never" => PrependScheme.Never,
            string other => throw node.Required("prepend_scheme").Error($"expected always, first or never, found '{other}'"),
        };
        if (node.Optional("add_prefix_space") is { } legacy && !legacy.AsBool()) scheme = PrependScheme.Never;
        return new MetaspacePreTokenizer(replacement, scheme, node.Bool("split", true));
    }

    /// <summary>Reads a one-character string field.</summary>
    public static int ReadChar(JsonNode node)
    {
        string text = node.AsString();
        var runes = text.EnumerateRunes();
        if (!runes.MoveNext()) throw node.Error("expected one character, found an empty string");
        int value = runes.Current.Value;
        if (runes.MoveNext()) throw node.Error($"expected one character, found '{text}'");
        if (value > 0xFFFF) throw node.Error($"a character outside the Basic Multilingual Plane ('{text}') is not supported here");
        return value;
    }

    private static PatternSplitPreTokenizer ReadSplit(JsonNode node)
    {
        ITextPattern pattern = PatternJson.Read(node.Required("pattern"));
        if (node.Bool("invert", false)) pattern = new InvertedPattern(pattern);
        return new PatternSplitPreTokenizer(pattern, ReadBehavior(node.Required("behavior"), SplitDelimiterBehavior.Isolated));
    }

    private static SplitDelimiterBehavior ReadBehavior(JsonNode? node, SplitDelimiterBehavior fallback)
    {
        if (node is not { } behavior) return fallback;
        return behavior.AsString() switch
        {
            "Removed" => SplitDelimiterBehavior.Removed,
            "Isolated" => SplitDelimiterBehavior.Isolated,
            "MergedWithPrevious" => SplitDelimiterBehavior.MergedWithPrevious,
            "MergedWithNext" => SplitDelimiterBehavior.MergedWithNext,
            "Contiguous" => SplitDelimiterBehavior.Contiguous,
            string other => throw behavior.Error($"expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous, found '{other}'"),
        };
    }
}
