using Moxing.Text.Tokenization;
using Moxing.Text.Tokenization.Gguf;
using Moxing.Text.Tokenization.Patterns;
using Moxing.Text.Tokenization.PreTokenizers;

namespace Moxing.Text.Tests.Tokenization;

// The newest tokenizer.ggml.pre names of llama.cpp (llama-vocab.cpp): split regexes, and the SentencePiece-style BPE
// (spaces as U+2581, raw UTF-8 tokens with <0xXX> fallback) of gemma4 / granite-embed-multi-311m / sarvam-moe.
public class GgufPreTokenizerTests
{
    [Fact]
    public void Jais2CutsWhitespaceRunsInPowersOfTwo()
    {
        string text = "a" + new string(' ', 600) + "b" + new string(' ', 7) + "\tc  ";
        string[] expected = ["a", S(512), S(64), S(16), S(4), S(2), S(1), " b", S(4), S(2), S(1), "\tc", S(2)];
        Assert.Equal(expected, Split("jais-2", text));
        // llama3 keeps the run whole but for the space before the word.
        Assert.Equal(["a", S(599), " b"], Split("llama3", "a" + S(600) + "b"));
    }

    [Fact]
    public void AfmoeGroupsDigitsFromTheRightAndKeepsCjkRunsApart()
    {
        Assert.Equal(["価格", "1", "234", "567", "円", " and", " ", "12", ",", "345", " ", "123", "456", " ", "١", "٢٣٤"],
            Split("afmoe", "価格1234567円 and 12,345 123456 ١٢٣٤"));
        Assert.Equal(["x", "12", "345", "678", "y"], Split("afmoe", "x12345678y"));
        // Astral symbols stay out of the CJK class (whose 8C48–FAFF range holds the BMP stand-ins astral text is matched by).
        Assert.Equal(["this", " is", " 🦙.", "cpp", " 😀"], Split("afmoe", "this is 🦙.cpp 😀"));
    }

    [Fact]
    public void YoutuIsolatesHangulBopomofoCjkAndFullWidthPunctuation()
    {
        Assert.Equal(["한국어ㄱㄴ", " ", "注音", "ㄅㄆㄇ", "，", "中文", "。", "Hello", "1", "2", "3", " It's"],
            Split("youtu", "한국어ㄱㄴ 注音ㄅㄆㄇ，中文。Hello123 It's"));
        var youtu = GgufPreTokenizer.For("youtu")!;
        Assert.True(youtu.IgnoreMerges);
        Assert.False(youtu.CleanSpaces);
    }

    [Fact]
    public void KimiK2SplitsHanFromOtherLetters()
    {
        Assert.Equal(["你好", "World's", " ", "123", "456", " café", "東京", "タワー"], Split("kimi-k2", "你好World's 123456 café東京タワー"));
        // CJK compatibility ideographs (U+F900 here) are Han too; Hangul is not.
        Assert.Equal(["a", "\uF900\u4E00", "한국"], Split("kimi-k2", "a\uF900\u4E00한국"));
        // Without the Han exclusion gpt-4o keeps letters of both scripts together.
        Assert.Equal(["你好World's"], Split("gpt-4o", "你好World's"));
    }

    [Fact]
    public void GraniteEmbedMulti97mSplitsAsGpt4oAndEmitsWordTokensWhole()
    {
        Assert.Equal(["Hello", "World", " ", "123", "4"], Split("granite-embed-multi-97m", "HelloWorld 1234"));
        var granite = GgufPreTokenizer.For("granite-embed-multi-97m")!;
        Assert.True(granite.IgnoreMerges);
        Assert.Equal(GgufPreTokenizer.For("gpt-4o")!.Patterns, granite.Patterns);
    }

    [Fact]
    public void Gemma4EscapesSpacesFallsBackToBytesAndKeepsNewlineRunsWhole()
    {
        string text = "Hello world\n\n\nHi 😀";
        var gemma4 = Tokenizer.FromGguf(SentencePieceStyle("gemma4", null, addBos: false), "g.gguf");
        // <bos> forced although add_bos_token is false; "\n\n\n" is a token, taken whole; the emoji falls back to bytes.
        int[] ids = gemma4.Encode(text, addSpecialTokens: true);
        Assert.Equal([0, Id("Hello"), Id("▁world"), Id("\n\n\n"), Id("H"), Id("i"), Id("▁"), Id("<0xF0>"), Id("<0x9F>"), Id("<0x98>"), Id("<0x80>")],
            ids);
        Assert.Equal(text, gemma4.Decode(ids, skipSpecialTokens: true));

        var granite = Tokenizer.FromGguf(SentencePieceStyle("gpt2", "granite-embed-multi-311m", addBos: false), "g.gguf");
        Assert.Equal(ids, granite.Encode(text, addSpecialTokens: true));

        // sarvam-moe: the same escaping, but newline runs go through the merges (none here) and BOS follows the file.
        var sarvam = Tokenizer.FromGguf(SentencePieceStyle("gpt2", "sarvam-moe", addBos: false), "s.gguf");
        int[] sarvamIds = sarvam.Encode(text, addSpecialTokens: true);
        Assert.Equal([Id("Hello"), Id("▁world"), Id("\n"), Id("\n"), Id("\n")], sarvamIds[..5]);
        Assert.Equal(text, sarvam.Decode(sarvamIds, skipSpecialTokens: true));
    }

    [Fact]
    public void WhitespaceSplitsOnNonSpaceRunsWithoutByteEncoding()
    {
        string[] tokens = ["你", "好", "世", "界", " ", "你好", "世界", "<0x21>", " 世"];
        var metadata = new Dictionary<string, object>
        {
            ["tokenizer.ggml.model"] = "gpt2",
            ["tokenizer.ggml.pre"] = "whitespace",
            ["tokenizer.ggml.tokens"] = tokens,
            ["tokenizer.ggml.token_type"] = new[] { 1, 1, 1, 1, 1, 1, 1, GgufTokenType.Byte, 1 },
            ["tokenizer.ggml.merges"] = new[] { "  世", "你 好", "世 界" },
        };
        var tokenizer = Tokenizer.FromGguf(metadata, "w.gguf");
        // " 世" (the first merge) would form if the space were not a word of its own; "!" is not a token and falls back to a byte.
        int[] ids = tokenizer.Encode("你好 世界!", addSpecialTokens: false);
        Assert.Equal([5, 4, 6, 7], ids);
        Assert.Equal("你好 世界!", tokenizer.Decode(ids, skipSpecialTokens: false));
    }

    [Fact]
    public void EveryNameLlamaCppKnowsIsKnown()
    {
        foreach (string name in new[] { "jais-2", "youtu", "afmoe", "whitespace", "gemma4", "granite-embed-multi-311m", "sarvam-moe", "kimi-k2",
            "granite-embed-multi-97m" })
        {
            Assert.NotNull(GgufPreTokenizer.For(name));
        }
        Assert.Null(GgufPreTokenizer.For("gemma-4"));
    }

    private static readonly string[] SpmTokens =
    [
        "<bos>", "<eos>", "▁", "H", "e", "l", "o", "w", "r", "d", "i", "\n", "\n\n\n", "He", "ll", "llo", "Hello", "▁w", "or", "▁wor", "▁worl",
        "▁world", "<0xF0>", "<0x9F>", "<0x98>", "<0x80>",
    ];

    private static int Id(string token) => Array.IndexOf(SpmTokens, token);

    private static Dictionary<string, object> SentencePieceStyle(string model, string? pre, bool addBos)
    {
        var types = SpmTokens.Select(t => t.StartsWith("<0x", StringComparison.Ordinal) ? GgufTokenType.Byte
            : t.StartsWith('<') ? GgufTokenType.Control : GgufTokenType.Normal).ToArray();
        var metadata = new Dictionary<string, object>
        {
            ["tokenizer.ggml.model"] = model,
            ["tokenizer.ggml.tokens"] = SpmTokens,
            ["tokenizer.ggml.token_type"] = types,
            ["tokenizer.ggml.merges"] = new[] { "H e", "l l", "ll o", "He llo", "▁ w", "o r", "▁w or", "▁wor l", "▁worl d" },
            ["tokenizer.ggml.bos_token_id"] = 0u,
            ["tokenizer.ggml.eos_token_id"] = 1u,
            ["tokenizer.ggml.add_bos_token"] = addBos,
        };
        if (pre is not null) metadata["tokenizer.ggml.pre"] = pre;
        return metadata;
    }

    private static string S(int count) => new(' ', count);

    private static string[] Split(string name, string text)
    {
        var pre = GgufPreTokenizer.For(name) ?? throw new ArgumentException($"unknown pre-tokenizer {name}", nameof(name));
        var splits = new SequencePreTokenizer([.. pre.Patterns.Select(p =>
            (IPreTokenizer)new PatternSplitPreTokenizer(new OnigRegex(p), SplitDelimiterBehavior.Isolated))]);
        var pieces = new List<TextPiece>();
        splits.PreTokenize(TextPiece.Whole(text, atOrigin: true), pieces);
        return [.. pieces.Select(p => p.Text)];
    }
}
