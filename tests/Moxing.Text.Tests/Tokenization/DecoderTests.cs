namespace Moxing.Text.Tests.Tokenization;

public class DecoderTests
{
    [Fact]
    public void ByteLevelMapsBackToUtf8()
    {
        Assert.Equal("Hello my café", Components.Decode("""{"type": "ByteLevel"}""", "Hello", "Ġmy", "ĠcafÃ", "©"));
        Assert.Equal("a\uFFFD", Components.Decode("""{"type": "ByteLevel"}""", "a", "Ã"));
        Assert.Equal("<|im_start|>x", Components.Decode("""{"type": "ByteLevel"}""", "<|im_start|>", "x"));
    }

    [Fact]
    public void MetaspaceDropsTheMarkerOfTheFirstTokenUnlessNever()
    {
        Assert.Equal("Hey friend", Components.Decode("""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always"}""", "▁Hey", "▁friend"));
        Assert.Equal(" Hey friend", Components.Decode("""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "never"}""", "▁Hey", "▁friend"));
    }

    [Fact]
    public void ByteFallbackJoinsValidRunsAndReplacesInvalidBytesOneByOne()
    {
        Assert.Equal("a€b", Components.Decode("""{"type": "ByteFallback"}""", "<0x61>", "<0xE2>", "<0x82>", "<0xAC>", "b"));
        Assert.Equal("\uFFFD\uFFFDx", Components.Decode("""{"type": "ByteFallback"}""", "<0xE2>", "<0x82>", "x"));
        Assert.Equal("<0xZZ>", Components.Decode("""{"type": "ByteFallback"}""", "<0xZZ>"));
    }

    [Fact]
    public void LlamaSequenceReplaceFallbackFuseStrip() =>
        Assert.Equal("Hi € there", Components.Decode("""
            {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"},
             {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
            """, "▁Hi", "▁", "<0xE2>", "<0x82>", "<0xAC>", "▁there"));

    [Fact]
    public void StripCutsAtMostTheGivenCounts() =>
        Assert.Equal(" hi ", Components.Decode("""{"type": "Strip", "content": " ", "start": 1, "stop": 1}""", "  hi  "));

    [Fact]
    public void WordPieceGluesContinuationsAndCleansUp()
    {
        Assert.Equal("unaffable, isn't", Components.Decode("""{"type": "WordPiece", "prefix": "##", "cleanup": true}""", "un", "##aff", "##able", ",", "is", "n't"));
        Assert.Equal("unaffable , is n't", Components.Decode("""{"type": "WordPiece", "prefix": "##", "cleanup": false}""", "un", "##aff", "##able", ",", "is", "n't"));
    }

    [Fact]
    public void BpeDecoderTurnsSuffixesIntoSpaces() =>
        Assert.Equal("hello world", Components.Decode("""{"type": "BPEDecoder", "suffix": "</w>"}""", "hello</w>", "wor", "ld</w>"));

    [Fact]
    public void CtcCollapsesRepeatsAndPads() =>
        Assert.Equal("hello w", Components.Decode("""{"type": "CTC", "pad_token": "<pad>", "word_delimiter_token": "|", "cleanup": true}""",
            "<pad>", "h", "h", "e", "l", "l", "<pad>", "l", "o", "|", "w"));

    [Fact]
    public void ReplaceRegex() =>
        Assert.Equal("a-b-c", Components.Decode("""{"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": "-"}""", "a  b", " c"));
}
