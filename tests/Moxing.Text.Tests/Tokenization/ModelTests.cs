namespace Moxing.Text.Tests.Tokenization;

public class ModelTests
{
    private static int[] Encode(string model, string text, string? preTokenizer = null) =>
        Components.Tokenizer(model, preTokenizer: preTokenizer).Encode(text, addSpecialTokens: false);

    [Fact]
    public void BpeMergesByRankThenLeftmost()
    {
        const string vocab = """{"a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4}""";
        Assert.Equal([0, 4], Encode($$"""{"type": "BPE", "vocab": {{vocab}}, "merges": ["b c", "a b"]}""", "abc"));
        Assert.Equal([3, 2], Encode($$"""{"type": "BPE", "vocab": {{vocab}}, "merges": [["a", "b"], ["b", "c"]]}""", "abc"));
        Assert.Equal([3, 3], Encode($$"""{"type": "BPE", "vocab": {{vocab}}, "merges": ["a b"]}""", "abab"));
    }

    [Fact]
    public void BpeIgnoreMergesEmitsWholeWords()
    {
        const string vocab = """{"a": 0, "b": 1, "ab": 2, "abab": 3}""";
        Assert.Equal([3], Encode($$"""{"type": "BPE", "vocab": {{vocab}}, "merges": ["a b"], "ignore_merges": true}""", "abab"));
        Assert.Equal([2, 2], Encode($$"""{"type": "BPE", "vocab": {{vocab}}, "merges": ["a b"], "ignore_merges": false}""", "abab"));
    }

    [Fact]
    public void BpeSubwordPrefixAndEndOfWordSuffix()
    {
        const string model = """
            {"type": "BPE", "vocab": {"a": 0, "##b": 1, "##c</w>": 2, "ab": 3, "abc</w>": 4, "b</w>": 5},
             "merges": ["a ##b", "ab ##c</w>"], "continuing_subword_prefix": "##", "end_of_word_suffix": "</w>"}
            """;
        Assert.Equal([4, 5], Encode(model, "abc b", """{"type": "WhitespaceSplit"}"""));
    }

    [Fact]
    public void BpeUnknownCharactersFuseOrNot()
    {
        const string vocab = """{"<unk>": 0, "a": 1}""";
        Assert.Equal([0, 1, 0], Encode($$"""{"type": "BPE", "vocab": {{vocab}}, "merges": [], "unk_token": "<unk>", "fuse_unk": true}""", "xya€"));
        Assert.Equal([0, 0, 1, 0], Encode($$"""{"type": "BPE", "vocab": {{vocab}}, "merges": [], "unk_token": "<unk>", "fuse_unk": false}""", "xya€"));
        Assert.Equal([1], Encode($$"""{"type": "BPE", "vocab": {{vocab}}, "merges": []}""", "xya"));
    }

    [Fact]
    public void BpeByteFallbackUsesByteTokensWhenAllExist()
    {
        const string model = """
            {"type": "BPE", "vocab": {"<unk>": 0, "<0xC3>": 1, "<0xA9>": 2, "a": 3, "<0xE2>": 4}, "merges": [],
             "unk_token": "<unk>", "byte_fallback": true}
            """;
        Assert.Equal([3, 1, 2, 0], Encode(model, "aé€"));
    }

    [Fact]
    public void WordPieceLongestMatchFirst()
    {
        const string model = """
            {"type": "WordPiece", "vocab": {"[UNK]": 0, "un": 1, "##aff": 2, "##able": 3, "a": 4, "##a": 5},
             "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100}
            """;
        Assert.Equal([1, 2, 3, 0, 4, 5], Encode(model, "unaffable unx aa", """{"type": "WhitespaceSplit"}"""));
        Assert.Equal([0], Encode(model.Replace("100", "3"), "unaffable"));
    }

    [Fact]
    public void WordLevelLooksUpWholeWords() =>
        Assert.Equal([0, 2, 1], Encode(Components.WordLevel("hello", "!"), "hello there!", """{"type": "Whitespace"}"""));

    [Fact]
    public void UnigramViterbiFusesUnknownsAndFallsBackToBytes()
    {
        const string model = """
            {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0], ["a", -1], ["b", -2], ["ab", -2.5], ["abc", -10], ["c", -3], ["<0x78>", -5]]}
            """;
        Assert.Equal([3, 5], Encode(model, "abc"));
        Assert.Equal([3, 0], Encode(model, "abxy"));
        Assert.Equal([3, 6], Encode(model.Replace("\"unk_id\": 0,", "\"unk_id\": 0, \"byte_fallback\": true,"), "abx"));
        Assert.Equal([3, 0], Encode(model.Replace("\"unk_id\": 0,", "\"unk_id\": 0, \"byte_fallback\": true,"), "abxy"));
    }
}
