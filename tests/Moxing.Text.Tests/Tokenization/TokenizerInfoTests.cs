namespace Moxing.Text.Tests.Tokenization;

public class TokenizerInfoTests
{
    [Fact]
    public void SpecialTokenIdsComeFromTheConfig()
    {
        var qwen = HfFixtures.Tokenizer("qwen3");
        Assert.Null(qwen.BosTokenId);
        Assert.Equal(151645, qwen.EosTokenId);
        Assert.Equal(151643, qwen.PadTokenId);
        Assert.Equal(151669, qwen.VocabSize);
        Assert.False(qwen.CleanUpTokenizationSpaces);

        var llama3 = HfFixtures.Tokenizer("llama3_1");
        Assert.Equal(128000, llama3.BosTokenId);
        Assert.Equal(128009, llama3.EosTokenId);
        Assert.Equal(256, llama3.AddedTokens.Count);
        Assert.Equal([128000], llama3.PrefixSpecialIds);

        var llama2 = HfFixtures.Tokenizer("llama2");
        Assert.Equal((1, 2, 0), (llama2.BosTokenId, llama2.EosTokenId, llama2.UnkTokenId));

        var bert = HfFixtures.Tokenizer("tiny-wordpiece");
        Assert.Equal((1, 0), (bert.UnkTokenId, bert.PadTokenId));
        Assert.Equal([2], bert.PrefixSpecialIds);
        Assert.Equal([3], bert.SuffixSpecialIds);
    }

    [Fact]
    public void TokenAndIdLookups()
    {
        var qwen = HfFixtures.Tokenizer("qwen3");
        Assert.Equal(151644, qwen.TokenToId("<|im_start|>"));
        Assert.Equal("Ġworld", qwen.IdToToken(1879));
        Assert.Equal(1879, qwen.TokenToId("Ġworld"));
        Assert.Null(qwen.IdToToken(10_000_000));
        Assert.Null(qwen.IdToToken(-1));
    }

    [Fact]
    public void CleanUpRemovesSpacesBeforePunctuationWhenTheConfigAsks()
    {
        var llama3 = HfFixtures.Tokenizer("llama3_1");
        int[] ids = llama3.Encode("Hello , world . I 'm here", addSpecialTokens: false);
        Assert.Equal("Hello, world. I'm here", llama3.Decode(ids, skipSpecialTokens: false));
        var qwen = HfFixtures.Tokenizer("qwen3");
        Assert.Equal("Hello , world .", qwen.Decode(qwen.Encode("Hello , world .", false), false));
    }

    [Fact]
    public void LlamaTokenizerClassRebuildsTheSentencePiecePipelineLikeTransformers()
    {
        // tokenizer.json prepends "▁" unconditionally; transformers 5's LlamaTokenizer uses a metaspace that does not
        // add one to text that already starts with a space, and the fixture follows transformers.
        string path = HfFixtures.TokenizerPath("llama2");
        var raw = Moxing.Text.Tokenization.Tokenizer.FromJsonText(File.ReadAllText(path), "llama2 tokenizer.json alone");
        var withConfig = HfFixtures.Tokenizer("llama2");
        Assert.Equal([260], raw.Encode("   ", addSpecialTokens: false));
        Assert.Equal([2287], withConfig.Encode("   ", addSpecialTokens: false));
        Assert.Equal(raw.Encode("Hello world", true), withConfig.Encode("Hello world", true));
    }

    [Theory]
    [InlineData("qwen3")]
    [InlineData("llama2")]
    [InlineData("tiny-wordpiece")]
    public void LoneSurrogatesAndControlCharactersDoNotBreakEncoding(string name)
    {
        var tokenizer = HfFixtures.Tokenizer(name);
        int[] ids = tokenizer.Encode("a\uD800b\uDC00 \u0000\uFFFF\uDBFF", addSpecialTokens: true);
        Assert.NotEmpty(ids);
        Assert.NotNull(tokenizer.Decode(ids, skipSpecialTokens: false));
    }

    [Fact]
    public void EncodingIsSafeFromManyThreads()
    {
        var qwen = HfFixtures.Tokenizer("qwen3");
        var cases = HfFixtures.Cases("qwen3");
        Parallel.For(0, 64, i =>
        {
            var c = cases[i % cases.Count];
            Assert.Equal(c.Ids, qwen.Encode(c.Text, addSpecialTokens: false));
        });
    }
}
