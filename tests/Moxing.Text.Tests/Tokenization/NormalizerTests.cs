namespace Moxing.Text.Tests.Tokenization;

public class NormalizerTests
{
    [Theory]
    [InlineData("NFC", "e\u0301", "\u00E9")]
    [InlineData("NFD", "\u00E9", "e\u0301")]
    [InlineData("NFKC", "\uFB01\u2460", "fi1")]
    [InlineData("NFKD", "\uFB01\u00E9", "fie\u0301")]
    [InlineData("NFD", "\uD55C", "\u1112\u1161\u11AB")]
    [InlineData("NFC", "\u1112\u1161\u11AB", "\uD55C")]
    [InlineData("NFD", "\u1E0B\u0323", "d\u0323\u0307")]
    [InlineData("NFC", "\u1E0B\u0323", "\u1E0D\u0307")]
    [InlineData("NFC", "plain ascii and 中文", "plain ascii and 中文")]
    [InlineData("NFKC", "\U0001D400\u00A0x", "A x")]
    public void UnicodeForms(string form, string input, string expected) =>
        Assert.Equal(expected, Components.Normalize($$"""{"type": "{{form}}"}""", input));

    [Fact]
    public void LowercaseIsPerCodePointLikeRust() =>
        Assert.Equal("hello i\u0307 ασ \U00010428", Components.Normalize("""{"type": "Lowercase"}""", "HeLLo \u0130 ΑΣ \U00010400"));

    [Theory]
    [InlineData(true, false, "hi \t")]
    [InlineData(false, true, " \thi")]
    [InlineData(true, true, "hi")]
    public void Strip(bool left, bool right, string expected) =>
        Assert.Equal(expected, Components.Normalize($$"""{"type": "Strip", "strip_left": {{(left ? "true" : "false")}}, "strip_right": {{(right ? "true" : "false")}}}""", " \thi \t"));

    [Fact]
    public void StripAccentsAfterNfd() =>
        Assert.Equal("Unicode cafe", Components.Normalize("""{"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "StripAccents"}]}""", "Ünïcödé café"));

    [Fact]
    public void ReplaceStringAndRegex()
    {
        Assert.Equal("a▁b▁▁c", Components.Normalize("""{"type": "Replace", "pattern": {"String": " "}, "content": "▁"}""", "a b  c"));
        Assert.Equal("a b c", Components.Normalize("""{"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}""", "a    b  c"));
    }

    [Fact]
    public void PrependOnlyToNonEmptyText()
    {
        Assert.Equal("▁hi", Components.Normalize("""{"type": "Prepend", "prepend": "▁"}""", "hi"));
        Assert.Equal("", Components.Normalize("""{"type": "Prepend", "prepend": "▁"}""", ""));
    }

    [Fact]
    public void BertNormalizerCleansPadsStripsAndLowercases()
    {
        const string json = """{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true}""";
        Assert.Equal(" hello  世  界 ", Components.Normalize(json, "\tHéllo\u0000 世界"));
        const string keepCase = """{"type": "BertNormalizer", "clean_text": false, "handle_chinese_chars": false, "strip_accents": false, "lowercase": false}""";
        Assert.Equal("\tHéllo 世界", Components.Normalize(keepCase, "\tHéllo 世界"));
    }

    [Fact]
    public void NmtDropsControlsAndMapsSpaces() =>
        Assert.Equal("ab c d", Components.Normalize("""{"type": "Nmt"}""", "a\u0001b\u200Bc\td"));

    [Fact]
    public void ByteLevelNormalizerWritesUtf8InTheByteAlphabet() =>
        Assert.Equal("aĠÃ©", Components.Normalize("""{"type": "ByteLevel"}""", "a é"));

    [Fact]
    public void PrecompiledCharsmapReplacesMatchedCharacters()
    {
        // A Darts double array with one key "A" whose replacement is "a": root → node 64 (label 'A', has leaf) → leaf 65.
        var units = new uint[66];
        units[0] = 1u << 10;
        units[64] = 0x41u | (1u << 8) | (1u << 10);
        units[65] = 0x80000000u;
        var bytes = new List<byte>(BitConverter.GetBytes((uint)(units.Length * 4)));
        foreach (uint unit in units) bytes.AddRange(BitConverter.GetBytes(unit));
        bytes.AddRange("a\0"u8.ToArray());
        string json = $$"""{"type": "Precompiled", "precompiled_charsmap": "{{Convert.ToBase64String([.. bytes])}}"}""";
        Assert.Equal("aBa ä", Components.Normalize(json, "ABA ä"));
        Assert.Equal("xyz", Components.Normalize("""{"type": "Precompiled", "precompiled_charsmap": null}""", "xyz"));
    }
}
