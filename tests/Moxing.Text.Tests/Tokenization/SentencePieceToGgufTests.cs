using System.Text.Json.Nodes;
using Moxing.Tests;
using Moxing.Text.Tokenization;
using Moxing.Text.Tokenization.Gguf;

namespace Moxing.Text.Tests.Tokenization;

/// <summary>SentencePiece tokenizers (tokenizer.model, or a byte-fallback BPE / Unigram tokenizer.json) as convert_hf_to_gguf.py writes them.</summary>
public sealed class SentencePieceToGgufTests : IDisposable
{
    private const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6;
    private static readonly Dictionary<string, int> NoConfigIds = [];
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-spm-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Llama 2's tokenizer.json alone (the converter's llama_hf path): each token scored by its first merge's rank, so
    // llama.cpp's score-ordered merging, as Moxing's GGUF tokenizer runs it, gives transformers' ids.
    [Fact]
    public void Llama2TokenizerJsonBecomesAGgufTokenizerWithTransformersIds()
    {
        CopyTokenizerFiles("llama2");
        var keys = Metadata(32000, "llama");
        Assert.Equal("llama", keys["tokenizer.ggml.model"]);
        Assert.Equal("default", keys["tokenizer.ggml.pre"]);
        var types = (int[])keys["tokenizer.ggml.token_type"];
        Assert.Equal([Control, Control, Control, Byte], types[..4]);
        Assert.Equal(Normal, types[261]);
        var scores = (float[])keys["tokenizer.ggml.scores"];
        Assert.Equal(0f, scores[261]); // "▁t" is the first merge
        Assert.Equal(-1000f, scores[1]);
        Assert.Equal(1u, keys["tokenizer.ggml.bos_token_id"]);
        Assert.Equal(2u, keys["tokenizer.ggml.eos_token_id"]);
        Assert.Equal(0u, keys["tokenizer.ggml.unknown_token_id"]);
        Assert.Equal(true, keys["tokenizer.ggml.add_bos_token"]);
        Assert.Equal(false, keys["tokenizer.ggml.add_eos_token"]);

        var tokenizer = Tokenizer.FromGguf(keys, "converted llama2");
        var hf = HfFixtures.Tokenizer("llama2");
        foreach (var c in HfFixtures.Cases("llama2"))
        {
            if (c.Text.StartsWith(' '))
            {
                // llama.cpp always puts "▁" before the text; transformers' Metaspace does not when the text already starts
                // with a space. So there the GGUF tokenizer is transformers with one more leading space.
                Assert.Equal(hf.Encode(" " + c.Text, addSpecialTokens: true), tokenizer.Encode(c.Text, addSpecialTokens: true));
                continue;
            }
            Assert.Equal(c.Ids, tokenizer.Encode(c.Text, addSpecialTokens: false));
            Assert.Equal(c.IdsWithSpecial, tokenizer.Encode(c.Text, addSpecialTokens: true));
            Assert.Equal(c.DecodedSkipSpecial, tokenizer.Decode(c.IdsWithSpecial, skipSpecialTokens: true));
        }
    }

    // _create_vocab_sentencepiece: pieces, scores and types from the protobuf (user-defined pieces become normal, as the
    // converter never asks for them), rows past the model's pieces padded, then added_tokens.json and tokenizer_config.json
    // laid over with score −1000 (special or special-looking → control; others user-defined with ▁ as a space).
    [Fact]
    public void TokenizerModelPiecesBecomeTokensScoresAndTypes()
    {
        (string, float, int)[] pieces = [("<unk>", 0, Unknown), ("<s>", 0, Control), ("</s>", 0, Control), ("<0x41>", 0, Byte),
            ("\u2581a", -1.5f, Normal), ("b", -2, UserDefined), ("x", 0, Unused)];
        byte[] trainerSpec = [0x12, 0x03, 0x08, 0x96, 0x01]; // field 2 (trainer_spec), skipped
        File.WriteAllBytes(Path.Combine(_dir, "tokenizer.model"), SentencePieceModelFile.Serialize(pieces, trainerSpec));
        File.WriteAllText(Path.Combine(_dir, "added_tokens.json"), """{"<extra>": 7, "<beyond>": 20}""");
        File.WriteAllText(Path.Combine(_dir, "tokenizer_config.json"), """
            {"bos_token": "<s>", "add_bos_token": true, "add_prefix_space": false, "added_tokens_decoder": {
              "8": {"content": "<|turn|>", "special": false}, "9": {"content": "\u2581hi", "special": false},
              "2": {"content": "</s>", "special": true}}}
            """);
        var keys = Metadata(11, "llama", new Dictionary<string, int> { ["bos"] = 1, ["eos"] = 2 });

        Assert.Equal(["<unk>", "<s>", "</s>", "<0x41>", "\u2581a", "b", "x", "<extra>", "<|turn|>", " hi", "[PAD10]"], (string[])keys["tokenizer.ggml.tokens"]);
        Assert.Equal([0f, 0, -1000, 0, -1.5f, -2, 0, -1000, -1000, -1000, -10000], (float[])keys["tokenizer.ggml.scores"]);
        Assert.Equal([Unknown, Control, Control, Byte, Normal, Normal, Unused, UserDefined, Control, UserDefined, Unused], (int[])keys["tokenizer.ggml.token_type"]);
        // No tokenizer.json to look <s> up in: the ids come from config.json.
        Assert.Equal(1u, keys["tokenizer.ggml.bos_token_id"]);
        Assert.Equal(2u, keys["tokenizer.ggml.eos_token_id"]);
        Assert.False(keys.ContainsKey("tokenizer.ggml.unknown_token_id"));
        Assert.Equal(true, keys["tokenizer.ggml.add_bos_token"]);
        Assert.Equal(false, keys["tokenizer.ggml.add_space_prefix"]);
    }

    // Gemma and Gemma 2's converters read tokenizer.model even beside a tokenizer.json, and turn off the space prefix; pieces
    // past the embeddings are dropped. Gemma's also marks id 107 (<end_of_turn>) as end of turn.
    [Theory]
    [InlineData("gemma")]
    [InlineData("gemma2")]
    public void GemmaReadsTheModelFileAndAddsNoSpacePrefix(string architecture)
    {
        CopyTokenizerFiles("llama2");
        File.WriteAllBytes(Path.Combine(_dir, "tokenizer.model"), SentencePieceModelFile.Serialize(SentencePieceModelFile.LlamaLike(300)));
        var keys = Metadata(280, architecture);
        Assert.Equal(architecture == "gemma", keys.TryGetValue("tokenizer.ggml.eot_token_id", out var eot) && (uint)eot == 107);
        var tokens = (string[])keys["tokenizer.ggml.tokens"];
        Assert.Equal(280, tokens.Length);
        Assert.Equal("\u2581p279", tokens[^1]);
        Assert.Equal(-21f, ((float[])keys["tokenizer.ggml.scores"])[^1]);
        Assert.Equal(false, keys["tokenizer.ggml.add_space_prefix"]);
        // No "▁" before the text: "A" alone is its byte piece.
        Assert.Equal([0x41 + 3], Tokenizer.FromGguf(keys, architecture).Encode("A", addSpecialTokens: false));
    }

    // Phi3MiniModel.set_vocab: added tokens are user-defined unless marked special (no look-alike rule, no ▁ rewrite), and
    // tokenizer.json's added_tokens are laid over too.
    [Fact]
    public void Phi3LaysAddedTokensOverAsItsConverterDoes()
    {
        File.WriteAllBytes(Path.Combine(_dir, "tokenizer.model"), SentencePieceModelFile.Serialize(SentencePieceModelFile.LlamaLike(262)));
        File.WriteAllText(Path.Combine(_dir, "tokenizer_config.json"), """
            {"added_tokens_decoder": {"262": {"content": "<|end|>", "special": false}, "263": {"content": "\u2581x", "special": false}}}
            """);
        var json = JsonNode.Parse(File.ReadAllText(HfFixtures.TokenizerPath("llama2")))!.AsObject();
        json["added_tokens"] = new JsonArray(new JsonObject { ["id"] = 264, ["content"] = "<|system|>", ["special"] = true });
        File.WriteAllText(Path.Combine(_dir, "tokenizer.json"), json.ToJsonString());
        var keys = Metadata(266, "phi3");
        Assert.Equal(["<|end|>", "\u2581x", "<|system|>", "[PAD265]"], ((string[])keys["tokenizer.ggml.tokens"])[262..]);
        Assert.Equal([UserDefined, UserDefined, Control, Unused], ((int[])keys["tokenizer.ggml.token_type"])[262..]);
        Assert.False(keys.ContainsKey("tokenizer.ggml.add_space_prefix"));
    }

    [Fact]
    public void UnigramTokenizerJsonKeepsItsScores()
    {
        File.WriteAllText(Path.Combine(_dir, "tokenizer.json"), """
            {"model": {"type": "Unigram", "unk_id": 0, "byte_fallback": true,
              "vocab": [["<unk>", 0.0], ["<0x0A>", 0.0], ["\u2581hello", -3.25], ["o", -7.5]]},
             "added_tokens": [{"id": 0, "content": "<unk>", "special": true}]}
            """);
        var keys = Metadata(4, "llama");
        Assert.Equal([-1000f, 0, -3.25f, -7.5f], (float[])keys["tokenizer.ggml.scores"]);
        Assert.Equal([Control, Byte, Normal, Normal], (int[])keys["tokenizer.ggml.token_type"]);
    }

    [Fact]
    public void BadInputIsAClearError()
    {
        var model = Path.Combine(_dir, "tokenizer.model");
        var valid = SentencePieceModelFile.Serialize(SentencePieceModelFile.LlamaLike(5));
        File.WriteAllBytes(model, valid[..^3]);
        var e = Assert.Throws<TokenizerException>(() => Metadata(5, "gemma2"));
        Assert.Contains("tokenizer.model", e.Message);
        Assert.Contains("at byte", e.Message);

        File.WriteAllBytes(model, "base64 tokens 0\n"u8.ToArray());
        Assert.Throws<TokenizerException>(() => Metadata(5, "gemma2"));

        // Gemma 2 needs SentencePiece; a byte-level tokenizer.json alone will not do.
        File.Delete(model);
        CopyTokenizerFiles("qwen3");
        e = Assert.Throws<TokenizerException>(() => Metadata(151936, "gemma2"));
        Assert.Contains("SentencePiece", e.Message);
    }

    private Dictionary<string, object> Metadata(int vocabSize, string architecture, Dictionary<string, int>? configIds = null) =>
        HfTokenizerToGguf.Metadata(_dir, vocabSize, configIds ?? NoConfigIds, architecture).ToDictionary(p => p.Key, p => p.Value);

    private void CopyTokenizerFiles(string name)
    {
        foreach (var file in Directory.GetFiles(Fixtures.Path("hf", "tokenizer-files", name)))
            File.Copy(file, Path.Combine(_dir, Path.GetFileName(file)), overwrite: true);
    }
}
