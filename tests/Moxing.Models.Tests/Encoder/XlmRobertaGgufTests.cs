using System.Text.Json.Nodes;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Mixes;
using Moxing.Models.Conversion;
using Moxing.Tests;

namespace Moxing.Models.Tests.Encoder;

/// <summary>
/// An XLM-RoBERTa folder (bert-tiny's weights as in <see cref="RobertaTests"/>, a SentencePiece Unigram tokenizer.json as
/// bge-m3 ships) converted as llama.cpp's converter writes bge-m3: architecture bert, the position table cut below
/// padding_idx + 1, one token type, tokenizer model "t5". The GGUF's Unigram tokenizer gives tokenizer.json's ids and the file
/// encodes as the folder.
/// </summary>
public sealed class XlmRobertaGgufTests : IDisposable
{
    private static readonly string[] Texts = ["hello world", "the lower world", "hello there", "unseen Wörds 42", "helloworld"];
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-xlmr-").FullName;

    // <s> <pad> </s> <unk> as XLM-RoBERTa numbers them, whole words and their pieces, letters, then filler up to bert-tiny's 1024 rows and <mask> last.
    internal static void WriteTokenizer(string folder)
    {
        var words = new[] { "▁hello", "▁world", "▁the", "▁there", "▁low", "er", "▁", "hell", "o", "wor", "ld", "42", "4", "2" };
        var pieces = new List<(string, double)> { ("<s>", 0), ("<pad>", 0), ("</s>", 0), ("<unk>", 0) };
        pieces.AddRange(words.Select((w, i) => (w, -2.0 - 0.1 * i)));
        pieces.AddRange("abcdefghijklmnpqrstuvwxyzWö".Select((c, i) => (c.ToString(), -6.0 - 0.01 * i)));
        for (var i = pieces.Count; i < 1023; i++) pieces.Add(($"▁filler{i}", -12.0));
        pieces.Add(("<mask>", 0));
        var added = new JsonArray();
        foreach (var (id, content) in new[] { (0, "<s>"), (1, "<pad>"), (2, "</s>"), (3, "<unk>"), (1023, "<mask>") })
            added.Add(new JsonObject { ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = content == "<mask>", ["rstrip"] = false, ["normalized"] = false, ["special"] = true });
        var vocab = new JsonArray([.. pieces.Select(p => (JsonNode)new JsonArray(p.Item1, p.Item2))]);
        var tokenizer = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = "always", ["split"] = true },
            ["post_processor"] = new JsonObject
            {
                ["type"] = "RobertaProcessing",
                ["sep"] = new JsonArray("</s>", 2),
                ["cls"] = new JsonArray("<s>", 0),
                ["trim_offsets"] = true,
                ["add_prefix_space"] = true,
            },
            ["decoder"] = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = "always", ["split"] = true },
            ["model"] = new JsonObject { ["type"] = "Unigram", ["unk_id"] = 3, ["vocab"] = vocab, ["byte_fallback"] = false },
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), tokenizer.ToJsonString());
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """
            {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>", "cls_token": "<s>", "pad_token": "<pad>",
             "mask_token": "<mask>", "clean_up_tokenization_spaces": true, "tokenizer_class": "XLMRobertaTokenizer"}
            """);
    }

    private (string Folder, string Gguf) Convert()
    {
        var folder = RobertaTests.WriteFromBertTiny(Path.Combine(_dir, "xlmr"), "xlm-roberta");
        WriteTokenizer(folder);
        var output = Path.Combine(_dir, "xlmr.gguf");
        using (var input = new EncoderGgufInput(folder))
            GgufQuantizer.Quantize(input, output, QuantizationMix.Find("F32")!, null, WorkerPool.Shared);
        return (folder, output);
    }

    [Fact]
    public void ConvertedAsBgeM3IsAndEncodesAsTheFolder()
    {
        var (folder, output) = Convert();
        using (var file = GgufFile.Open(output))
        {
            Assert.Equal("bert", file.Metadata.GetString("general.architecture"));
            Assert.Equal(512, file.Metadata.GetInt32("bert.context_length"));
            Assert.Equal("t5", file.Metadata.GetString("tokenizer.ggml.model"));
            Assert.Equal(1, file.Metadata.GetInt32("tokenizer.ggml.token_type_count"));
            Assert.Equal([512L, 64L], file.Find("position_embd.weight")!.Shape);
            Assert.Equal([1L, 64L], file.Find("token_types.weight")!.Shape);
        }
        using var hf = ModelLoader.Load(folder);
        using var gguf = ModelLoader.Load(output);
        Assert.Equal(0, gguf.RequireEncoder().Options.PositionOffset);
        foreach (var text in Texts)
        {
            var ids = hf.RequireTokenizer().Encode(text, addSpecialTokens: true);
            Assert.Equal(ids, gguf.RequireTokenizer().Encode(text, addSpecialTokens: true));
            Assert.Equal((0, 2), (ids[0], ids[^1]));
            Assert.True(LogitErrors.RelativeMax(hf.RequireEncoder().Encode(ids), gguf.RequireEncoder().Encode(ids)) <= 1e-5, text);
        }
        // the converter writes clean_up_tokenization_spaces as remove_extra_whitespaces: llama.cpp then collapses runs of spaces
        var spaced = gguf.RequireTokenizer().Encode("  hello   there ", addSpecialTokens: true);
        Assert.Equal(["<s>", "▁hello", "▁there", "</s>"], spaced.Select(i => gguf.RequireTokenizer().IdToToken(i)));
    }

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
