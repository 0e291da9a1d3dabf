namespace Moxing.Text.Tests.Tokenization;

public class PreTokenizerTests
{
    private static string Split(string pattern, string behavior, bool invert = false) =>
        $$"""{"type": "Split", "pattern": {{pattern}}, "behavior": "{{behavior}}", "invert": {{(invert ? "true" : "false")}}}""";

    [Theory]
    [InlineData("Removed", new[] { "How", "are", "you", "doing?" })]
    [InlineData("Isolated", new[] { "How", " ", "are", " ", "you", " ", "doing?" })]
    [InlineData("MergedWithPrevious", new[] { "How ", "are ", "you ", "doing?" })]
    [InlineData("MergedWithNext", new[] { "How", " are", " you", " doing?" })]
    [InlineData("Contiguous", new[] { "How", " ", "are", " ", "you", " ", "doing?" })]
    public void SplitBehaviors(string behavior, string[] expected) =>
        Assert.Equal(expected, Components.PreTokenize(Split("""{"String": " "}""", behavior), "How are you doing?"));

    [Fact]
    public void ContiguousJoinsRunsOfDelimiters()
    {
        Assert.Equal(["a", "  ", "b"], Components.PreTokenize(Split("""{"String": " "}""", "Contiguous"), "a  b"));
        Assert.Equal(["a ", " ", "b"], Components.PreTokenize(Split("""{"String": " "}""", "MergedWithPrevious"), "a  b"));
        Assert.Equal(["a", " ", " b"], Components.PreTokenize(Split("""{"String": " "}""", "MergedWithNext"), "a  b"));
    }

    [Fact]
    public void SplitRegexWithInvertKeepsTheGaps()
    {
        Assert.Equal(["Hey", "friend"], Components.PreTokenize(Split("""{"Regex": "\\w+"}""", "Removed", invert: true), "Hey, friend!"));
        Assert.Equal([", ", "!"], Components.PreTokenize(Split("""{"Regex": "\\w+"}""", "Removed"), "Hey, friend!"));
    }

    [Fact]
    public void QwenRegexKeepsAstralSymbolsWithTheFollowingWord()
    {
        // Oniguruma sees 🚀 as one non-letter code point, so [^\r\n\p{L}\p{N}]?\p{L}+ takes "🚀b"; .NET alone would split the surrogates.
        const string qwen = """{"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}""";
        Assert.Equal(["a", "🚀b", " 𝐀𝐁", "12".Substring(0, 1), "2", "'S"], Components.PreTokenize(Split(qwen, "Isolated"), "a🚀b 𝐀𝐁12'S"));
    }

    [Fact]
    public void PossessiveQuantifiersBecomeAtomic() =>
        // x*+ gives nothing back, so x*+xy never matches; a greedy x*xy would take all of "xxy".
        Assert.Equal(["x", "x", "y"], Components.PreTokenize(Split("""{"Regex": "x*+xy|x"}""", "Isolated"), "xxy"));

    [Fact]
    public void WhitespaceAndWhitespaceSplit()
    {
        Assert.Equal(["How", "are", "you", "doing", "?"], Components.PreTokenize("""{"type": "Whitespace"}""", "How are you doing?"));
        Assert.Equal(["Hey", "man!"], Components.PreTokenize("""{"type": "WhitespaceSplit"}""", "Hey man!"));
    }

    [Fact]
    public void BertPreTokenizerSplitsWhitespaceAndPunctuation() =>
        Assert.Equal(["Hey", "friend", "!", "How", "are", "you", "?", "!", "?"],
            Components.PreTokenize("""{"type": "BertPreTokenizer"}""", "Hey friend!     How are you?!?"));

    [Fact]
    public void PunctuationAndDigits()
    {
        Assert.Equal(["Hey friend", "!", " How", "?"], Components.PreTokenize("""{"type": "Punctuation", "behavior": "Isolated"}""", "Hey friend! How?"));
        Assert.Equal(["Call ", "1", "2", "3", " now"], Components.PreTokenize("""{"type": "Digits", "individual_digits": true}""", "Call 123 now"));
        Assert.Equal(["Call ", "123", " now"], Components.PreTokenize("""{"type": "Digits", "individual_digits": false}""", "Call 123 now"));
    }

    [Fact]
    public void MetaspaceSchemesAndSplit()
    {
        const string always = """{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}""";
        Assert.Equal(["▁Hey", "▁friend!"], Components.PreTokenize(always, "Hey friend!"));
        Assert.Equal(["▁", "▁Hey"], Components.PreTokenize(always, "  Hey"));
        Assert.Equal(["▁Hey▁friend!"], Components.PreTokenize("""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": false}""", "Hey friend!"));
        Assert.Equal(["Hey", "▁friend"], Components.PreTokenize("""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "never"}""", "Hey friend"));
        const string first = """{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false}""";
        Assert.Equal(["▁Hey"], Components.PreTokenize(first, "Hey", atOrigin: true));
        Assert.Equal(["Hey"], Components.PreTokenize(first, "Hey", atOrigin: false));
    }

    [Fact]
    public void MetaspaceFirstPrependsOnlyAtTheStartOfTheText()
    {
        var tokenizer = Components.Tokenizer(Components.WordLevel("▁a", "a", "<s>"),
            preTokenizer: """{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": true}""",
            addedTokens: """[{"id": 2, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}]""");
        Assert.Equal([0, 2, 1], tokenizer.Encode("a<s>a", addSpecialTokens: false));
    }

    [Fact]
    public void ByteLevelPrefixSpaceAndRegex()
    {
        Assert.Equal(["ĠHello", "Ġmy", "Ġfriend"], Components.PreTokenize("""{"type": "ByteLevel", "add_prefix_space": true, "use_regex": true}""", "Hello my friend"));
        Assert.Equal(["Hello", "Ġmy", "Ġfriend"], Components.PreTokenize("""{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}""", "Hello my friend"));
        Assert.Equal(["HelloĠmyĠfriend"], Components.PreTokenize("""{"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}""", "Hello my friend"));
        Assert.Equal(["cafÃ©", "Ġ", "ĠðŁļĢ"], Components.PreTokenize("""{"type": "ByteLevel", "add_prefix_space": false}""", "café  🚀"));
    }

    [Fact]
    public void SequenceAppliesEachInTurn() =>
        Assert.Equal(["Call", "1", "2", "now"], Components.PreTokenize(
            """{"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, {"type": "Digits", "individual_digits": true}]}""", "Call 12 now"));

    [Fact]
    public void FixedLengthAndCharDelimiter()
    {
        Assert.Equal(["abc", "de🚀", "f"], Components.PreTokenize("""{"type": "FixedLength", "length": 3}""", "abcde🚀f"));
        Assert.Equal(["a", "b c"], Components.PreTokenize("""{"type": "CharDelimiterSplit", "delimiter": "|"}""", "a|b c"));
    }
}
