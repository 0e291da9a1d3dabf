namespace Moxing.Text.Tests.Tokenization;

public class AddedTokenTests
{
    private static string Added(int id, string content, bool special = true, bool singleWord = false, bool lstrip = false,
        bool rstrip = false, bool normalized = false) =>
        $$"""[{"id": {{id}}, "content": "{{content}}", "single_word": {{Json(singleWord)}}, "lstrip": {{Json(lstrip)}}, "rstrip": {{Json(rstrip)}}, "normalized": {{Json(normalized)}}, "special": {{Json(special)}}}]""";

    private static string Json(bool value) => value ? "true" : "false";

    [Theory]
    [InlineData(false, false, new[] { 1, 5, 2 })]
    [InlineData(true, false, new[] { 0, 5, 2 })]
    [InlineData(false, true, new[] { 1, 5, 3 })]
    [InlineData(true, true, new[] { 0, 5, 3 })]
    public void LStripAndRStripSwallowNeighbouringSpaces(bool lstrip, bool rstrip, int[] expected)
    {
        var tokenizer = Components.Tokenizer(Components.WordLevel("a", "a ", " b", "b"), addedTokens: Added(5, "<mask>", lstrip: lstrip, rstrip: rstrip));
        Assert.Equal(expected, tokenizer.Encode("a <mask> b", addSpecialTokens: false));
    }

    [Fact]
    public void SingleWordTokensMatchOnlyOutsideWords()
    {
        var tokenizer = Components.Tokenizer(Components.WordLevel("xaby"), preTokenizer: """{"type": "WhitespaceSplit"}""",
            addedTokens: Added(9, "ab", singleWord: true));
        Assert.Equal([9, 0, 9], tokenizer.Encode("ab xaby ab", addSpecialTokens: false));
    }

    [Fact]
    public void LongestMatchWinsAtTheLeftmostPosition()
    {
        string added = """
            [{"id": 5, "content": "<a>", "special": true, "normalized": false},
             {"id": 6, "content": "<a><b>", "special": true, "normalized": false}]
            """;
        var tokenizer = Components.Tokenizer(Components.WordLevel("x"), addedTokens: added);
        Assert.Equal([6, 0, 5], tokenizer.Encode("<a><b>x<a>", addSpecialTokens: false));
    }

    [Fact]
    public void NormalizedTokensMatchTheNormalizedText()
    {
        var tokenizer = Components.Tokenizer(Components.WordLevel("say", "abc"), normalizer: """{"type": "Lowercase"}""",
            preTokenizer: """{"type": "WhitespaceSplit"}""", addedTokens: Added(7, "HeLLo", special: false, normalized: true));
        Assert.Equal([0, 7], tokenizer.Encode("SAY hello", addSpecialTokens: false));
        Assert.Equal("say hello", tokenizer.Decode([0, 7], skipSpecialTokens: true));

        var raw = Components.Tokenizer(Components.WordLevel("abc"), normalizer: """{"type": "Lowercase"}""",
            preTokenizer: """{"type": "WhitespaceSplit"}""", addedTokens: Added(7, "ABC", special: false, normalized: false));
        Assert.Equal([7, 0], raw.Encode("ABC abc", addSpecialTokens: false));
    }

    [Fact]
    public void DecodeSkipsOnlySpecialTokens()
    {
        string added = """
            [{"id": 2, "content": "<s>", "special": true, "normalized": false},
             {"id": 3, "content": "<tool>", "special": false, "normalized": false}]
            """;
        var tokenizer = Components.Tokenizer(Components.WordLevel("a", "b"), decoder: null, addedTokens: added);
        Assert.Equal("<s> a <tool> b", tokenizer.Decode([2, 0, 3, 1], skipSpecialTokens: false));
        Assert.Equal("a <tool> b", tokenizer.Decode([2, 0, 3, 1], skipSpecialTokens: true));
        Assert.Equal("a", tokenizer.Decode([0, 999, -1], skipSpecialTokens: false));
        Assert.Equal([2], tokenizer.SpecialTokenIds);
        Assert.Equal(3, tokenizer.TokenToId("<tool>"));
        Assert.Null(tokenizer.TokenToId("zzz"));
        Assert.Equal(4, tokenizer.VocabSize);
    }

    [Fact]
    public void KeptSpecialTokensStayInTheDecodedText()
    {
        string added = """
            [{"id": 2, "content": "<s>", "special": true, "normalized": false},
             {"id": 3, "content": "<|call|>", "special": true, "normalized": false}]
            """;
        var tokenizer = Components.Tokenizer(Components.WordLevel("a", "b"), decoder: null, addedTokens: added);
        int[] ids = [2, 0, 3, 1];
        Assert.Equal("a b", tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.Equal("a <|call|> b", tokenizer.Decode(ids, skipSpecialTokens: true, ["<|call|>"]));
        var decoder = tokenizer.CreateIncrementalDecoder(skipSpecialTokens: true, ["<|call|>"]);
        Assert.Equal("a <|call|> b", string.Concat(ids.Select(decoder.Add)) + decoder.Flush());
    }
}
