using System.Text.Json;
using Moxing.Core.Formats.Gguf;
using Moxing.Text.Tokenization;

namespace Moxing.Text.Tests.Tokenization;

public class GgufTokenizerTests
{
    private static readonly Dictionary<string, Lazy<Tokenizer>> Files = new()
    {
        ["qwen3-tiny-realvocab.Q8_0"] = Load("qwen3-tiny-realvocab.Q8_0"),
        ["llama-tiny.F32"] = Load("llama-tiny.F32"),
        ["gpt2-tiny.F32"] = Load("gpt2-tiny.F32"),
    };

    public static TheoryData<string, string, int> Cases()
    {
        var data = new TheoryData<string, string, int>();
        foreach (var (file, fixture) in new[] { ("qwen3-tiny-realvocab.Q8_0", "qwen3"), ("llama-tiny.F32", "tiny-bpe"), ("gpt2-tiny.F32", "tiny-bpe") })
        {
            for (int i = 0; i < HfFixtures.Cases(fixture).Count; i++) data.Add(file, fixture, i);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GgufTokenizerMatchesHuggingFace(string file, string fixture, int index)
    {
        var c = HfFixtures.Cases(fixture)[index];
        var tokenizer = Files[file].Value;
        Assert.Equal(c.Ids, tokenizer.Encode(c.Text, addSpecialTokens: false));
        Assert.Equal(c.IdsWithSpecial, tokenizer.Encode(c.Text, addSpecialTokens: true));
        Assert.Equal(c.Decoded, tokenizer.Decode(c.Ids, skipSpecialTokens: false));
        Assert.Equal(c.DecodedSkipSpecial, tokenizer.Decode(c.Ids, skipSpecialTokens: true));
    }

    [Fact]
    public void Qwen3GgufKnowsItsSpecialTokens()
    {
        var tokenizer = Files["qwen3-tiny-realvocab.Q8_0"].Value;
        Assert.Equal(151645, tokenizer.EosTokenId);
        Assert.Equal(151643, tokenizer.PadTokenId);
        Assert.Null(tokenizer.BosTokenId);
        Assert.True(tokenizer.IsSpecialToken(151644));
        Assert.False(tokenizer.IsSpecialToken(151657)); // <tool_call> is user-defined, not control
        Assert.Equal(151936, tokenizer.VocabSize);
        Assert.Equal("<|im_start|>", tokenizer.IdToToken(151644));
    }

    // llama.cpp's SentencePiece tokenizer merges by score; with each token scored by the rank of the merge that makes
    // it, it must reproduce the BPE of the same vocabulary (the tokenizer.json pipeline as the tokenizers library runs it).
    [Fact]
    public void SentencePieceGgufMatchesTheBpeOfTheSameVocabulary()
    {
        string path = HfFixtures.TokenizerPath("llama2");
        using var json = JsonDocument.Parse(File.ReadAllBytes(path));
        var vocab = json.RootElement.GetProperty("model").GetProperty("vocab");
        var tokens = new string[vocab.EnumerateObject().Count()];
        foreach (var p in vocab.EnumerateObject()) tokens[p.Value.GetInt32()] = p.Name;
        var ids = tokens.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i);
        var scores = Enumerable.Repeat(-1e9f, tokens.Length).ToArray();
        var merges = json.RootElement.GetProperty("model").GetProperty("merges").EnumerateArray().Select(m => m.GetString()!.Split(' ')).ToArray();
        for (int rank = merges.Length - 1; rank >= 0; rank--) scores[ids[merges[rank][0] + merges[rank][1]]] = -rank;
        var types = tokens.Select((t, i) => i == 0 ? 2 : i < 3 ? 3 : t.StartsWith("<0x") && t.Length == 6 ? 6 : 1).ToArray();
        var metadata = new Dictionary<string, object>
        {
            ["tokenizer.ggml.model"] = "llama",
            ["tokenizer.ggml.tokens"] = tokens,
            ["tokenizer.ggml.scores"] = scores,
            ["tokenizer.ggml.token_type"] = types,
            ["tokenizer.ggml.bos_token_id"] = 1u,
            ["tokenizer.ggml.eos_token_id"] = 2u,
            ["tokenizer.ggml.unknown_token_id"] = 0u,
        };
        var gguf = Tokenizer.FromGguf(metadata, "synthetic-llama2");
        var bpe = Tokenizer.FromJsonText(File.ReadAllText(path), "llama2 tokenizer.json");
        foreach (var c in HfFixtures.Cases("llama2"))
        {
            int[] expected = bpe.Encode(c.Text, addSpecialTokens: true);
            Assert.Equal(expected, gguf.Encode(c.Text, addSpecialTokens: true));
            Assert.Equal(bpe.Decode(expected, skipSpecialTokens: true), gguf.Decode(expected, skipSpecialTokens: true));
        }
    }

    // llama.cpp's converter writes BERT word starts as "▁word" and "##piece" as "piece"; the builder must undo that.
    [Fact]
    public void WordPieceGgufMatchesHuggingFace()
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(HfFixtures.TokenizerPath("tiny-wordpiece")));
        var vocab = json.RootElement.GetProperty("model").GetProperty("vocab");
        var tokens = new string[vocab.EnumerateObject().Count()];
        foreach (var p in vocab.EnumerateObject()) tokens[p.Value.GetInt32()] = p.Name;
        string Phantom(string t) => t.StartsWith('[') && t.EndsWith(']') ? t : t.StartsWith("##") ? t[2..] : "\u2581" + t;
        var metadata = new Dictionary<string, object>
        {
            ["tokenizer.ggml.model"] = "bert",
            ["tokenizer.ggml.tokens"] = tokens.Select(Phantom).ToArray(),
            ["tokenizer.ggml.token_type"] = tokens.Select((_, i) => i < 5 ? 3 : 1).ToArray(),
            ["tokenizer.ggml.cls_token_id"] = 2u,
            ["tokenizer.ggml.seperator_token_id"] = 3u,
            ["tokenizer.ggml.unknown_token_id"] = 1u,
            ["tokenizer.ggml.padding_token_id"] = 0u,
        };
        var tokenizer = Tokenizer.FromGguf(metadata, "synthetic-bert");
        // GGUF does not record clean_up_tokenization_spaces; llama.cpp always cleans up WordPiece output.
        Assert.True(tokenizer.CleanUpTokenizationSpaces);
        foreach (var c in HfFixtures.Cases("tiny-wordpiece"))
        {
            Assert.Equal(c.Ids, tokenizer.Encode(c.Text, addSpecialTokens: false));
            Assert.Equal(c.IdsWithSpecial, tokenizer.Encode(c.Text, addSpecialTokens: true));
            Assert.Equal(Tokenizer.CleanUpTokenization(c.Decoded), tokenizer.Decode(c.Ids, skipSpecialTokens: false));
            Assert.Equal(Tokenizer.CleanUpTokenization(c.DecodedSkipSpecial), tokenizer.Decode(c.Ids, skipSpecialTokens: true));
        }
    }

    [Fact]
    public void UnknownPreTokenizerIsRejectedByName()
    {
        var metadata = new Dictionary<string, object>
        {
            ["tokenizer.ggml.model"] = "gpt2",
            ["tokenizer.ggml.pre"] = "no-such-pre",
            ["tokenizer.ggml.tokens"] = new[] { "a", "b", "ab" },
            ["tokenizer.ggml.merges"] = new[] { "a b" },
        };
        var e = Assert.Throws<TokenizerException>(() => Tokenizer.FromGguf(metadata, "bad.gguf"));
        Assert.Contains("bad.gguf", e.Message);
        Assert.Contains("tokenizer.ggml.pre", e.Message);
        Assert.Contains("no-such-pre", e.Message);
    }

    [Fact]
    public void MissingTokensAndBadMergesAreRejectedByKey()
    {
        var noTokens = new Dictionary<string, object> { ["tokenizer.ggml.model"] = "gpt2" };
        var e = Assert.Throws<TokenizerException>(() => Tokenizer.FromGguf(noTokens, "m.gguf"));
        Assert.Contains("tokenizer.ggml.tokens", e.Message);

        var badMerge = new Dictionary<string, object>
        {
            ["tokenizer.ggml.model"] = "gpt2",
            ["tokenizer.ggml.pre"] = "qwen2",
            ["tokenizer.ggml.tokens"] = new[] { "a", "b" },
            ["tokenizer.ggml.merges"] = new[] { "a b" },
        };
        e = Assert.Throws<TokenizerException>(() => Tokenizer.FromGguf(badMerge, "m.gguf"));
        Assert.Contains("tokenizer.ggml.merges", e.Message);
        Assert.Contains("'ab'", e.Message);

        var wrongType = new Dictionary<string, object> { ["tokenizer.ggml.model"] = "gpt2", ["tokenizer.ggml.tokens"] = 5 };
        e = Assert.Throws<TokenizerException>(() => Tokenizer.FromGguf(wrongType, "m.gguf"));
        Assert.Contains("array of strings", e.Message);

        var badId = new Dictionary<string, object>
        {
            ["tokenizer.ggml.model"] = "gpt2",
            ["tokenizer.ggml.pre"] = "qwen2",
            ["tokenizer.ggml.tokens"] = new[] { "a", "b", "ab" },
            ["tokenizer.ggml.merges"] = new[] { "a b" },
            ["tokenizer.ggml.eos_token_id"] = 99u,
        };
        e = Assert.Throws<TokenizerException>(() => Tokenizer.FromGguf(badId, "m.gguf"));
        Assert.Contains("tokenizer.ggml.eos_token_id", e.Message);
    }

    private static Lazy<Tokenizer> Load(string name) => new(() =>
    {
        using var file = GgufFile.Open(Moxing.Tests.Fixtures.Path("gguf", name + ".gguf"));
        return Tokenizer.FromGguf(file.Metadata, name + ".gguf");
    });
}
