using System.Text.Json.Nodes;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.Safetensors;
using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Mixes;
using Moxing.Models.Conversion;
using Moxing.Tests;

namespace Moxing.Models.Tests.Encoder;

/// <summary>
/// RoBERTa folders: positions numbered from padding_idx + 1, one token-type row, tensors under "roberta.". A folder made from
/// bert-tiny with its position table shifted down by that offset (two unused rows in front) must encode exactly as bert-tiny,
/// and as <see cref="EncoderReference"/>'s statement of RobertaModel; dropping the offset breaks both.
/// </summary>
public sealed class RobertaTests : IDisposable
{
    private static readonly int[][] Inputs = [[2, 40, 50, 3], [2, 17, 900, 301, 5, 77, 1000, 12, 3]];
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-roberta-").FullName;

    /// <summary>Writes bert-tiny as a RoBERTa folder of model type <paramref name="modelType"/> into <paramref name="folder"/>.</summary>
    internal static string WriteFromBertTiny(string folder, string modelType)
    {
        var bert = Fixtures.Path("hf", "models", "bert-tiny");
        Directory.CreateDirectory(folder);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(bert, "config.json")))!.AsObject();
        config["model_type"] = modelType;
        config["max_position_embeddings"] = 514;
        config["pad_token_id"] = 1;
        config["type_vocab_size"] = 1;
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        var w = new SafetensorsWriter();
        using (var source = SafetensorsFile.Open(Path.Combine(bert, "model.safetensors")))
            foreach (var t in source.Tensors)
            {
                var values = new float[t.ElementCount];
                Dequantizer.Dequantize(t.Type, t.Bytes, values);
                var h = (int)t.Shape[^1];
                if (t.Name == "embeddings.position_embeddings.weight")
                {
                    // rows 0 and 1 (padding_idx and below) are never read; fill them with values that would show if they were
                    var shifted = new float[values.Length + 2 * h];
                    for (var i = 0; i < 2 * h; i++) shifted[i] = 3f;
                    values.CopyTo(shifted, 2 * h);
                    w.Add("roberta." + t.Name, [t.Shape[0] + 2, h], shifted);
                }
                else if (t.Name == "embeddings.token_type_embeddings.weight") w.Add("roberta." + t.Name, [1, h], values[..h]);
                else w.Add("roberta." + t.Name, t.Shape, values);
            }
        w.Write(Path.Combine(folder, "model.safetensors"));
        return folder;
    }

    [Theory]
    [InlineData("roberta")]
    [InlineData("xlm-roberta")]
    public void EncodesAsTheBertItWasMadeFrom(string modelType)
    {
        using var bert = ModelLoader.Load(Fixtures.Path("hf", "models", "bert-tiny"));
        using var roberta = ModelLoader.Load(WriteFromBertTiny(Path.Combine(_dir, modelType), modelType));
        var o = roberta.RequireEncoder().Options;
        Assert.Equal((2, 512), (o.PositionOffset, o.MaxPositions));
        foreach (var ids in Inputs)
            Assert.True(LogitErrors.RelativeMax(bert.RequireEncoder().Encode(ids), roberta.RequireEncoder().Encode(ids)) <= 1e-6, string.Join(",", ids));
        Assert.Throws<Core.MoxingException>(() => roberta.RequireEncoder().Encode(new int[513]));
    }

    [Fact]
    public void MatchesTheReferenceAndNeedsTheOffset()
    {
        var folder = WriteFromBertTiny(Path.Combine(_dir, "roberta"), "roberta");
        using var roberta = ModelLoader.Load(folder);
        using var tensors = SafetensorsFile.Open(Path.Combine(folder, "model.safetensors"));
        var reference = new EncoderReference(tensors, EncoderLayout.HfRoberta(1), 4, 1e-12);
        var unshifted = new EncoderReference(tensors, EncoderLayout.HfRoberta(1) with { PositionOffset = 0 }, 4, 1e-12);
        foreach (var ids in Inputs)
        {
            var ours = roberta.RequireEncoder().Encode(ids);
            Assert.True(LogitErrors.RelativeMax(NomicBertTests.Flat(reference.Encode(ids)), ours) <= 1e-4, $"reference {string.Join(",", ids)}");
            Assert.True(LogitErrors.RelativeMax(NomicBertTests.Flat(unshifted.Encode(ids)), ours) > 1e-2, $"without offset {string.Join(",", ids)}");
        }
    }

    // RoBERTa's byte-level BPE, made from gpt2-tiny's: its three special tokens renamed <s> <pad> </s>, GPT-2's split regex,
    // no normaliser, a RobertaProcessing post-processor.
    private static void WriteBpeTokenizer(string folder)
    {
        var tokenizer = JsonNode.Parse(File.ReadAllText(Fixtures.Path("hf", "models", "gpt2-tiny", "tokenizer.json")))!.AsObject();
        string[] names = ["<s>", "<pad>", "</s>"];
        var vocab = tokenizer["model"]!["vocab"]!.AsObject();
        foreach (var (old, id) in new[] { ("<|endoftext|>", 0), ("<|im_start|>", 1), ("<|im_end|>", 2) })
        {
            vocab.Remove(old);
            vocab[names[id]] = id;
            tokenizer["added_tokens"]![id]!["content"] = names[id];
        }
        tokenizer["normalizer"] = null;
        tokenizer["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true };
        tokenizer["post_processor"] = new JsonObject
        {
            ["type"] = "RobertaProcessing",
            ["sep"] = new JsonArray("</s>", 2),
            ["cls"] = new JsonArray("<s>", 0),
            ["trim_offsets"] = true,
            ["add_prefix_space"] = false,
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), tokenizer.ToJsonString());
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """{"bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "cls_token": "<s>", "sep_token": "</s>"}""");
    }

    [Fact]
    public void BpeFolderConvertsToABertGgufThatEncodesAsTheFolder()
    {
        var folder = WriteFromBertTiny(Path.Combine(_dir, "roberta"), "roberta");
        WriteBpeTokenizer(folder);
        var output = Path.Combine(_dir, "roberta.gguf");
        using (var input = new EncoderGgufInput(folder))
            GgufQuantizer.Quantize(input, output, QuantizationMix.Find("F32")!, null, WorkerPool.Shared);
        using (var file = GgufFile.Open(output))
        {
            Assert.Equal("gpt2", file.Metadata.GetString("tokenizer.ggml.model"));
            Assert.True(file.Metadata.GetBool("tokenizer.ggml.add_bos_token"));
            Assert.True(file.Metadata.GetBool("tokenizer.ggml.add_eos_token"));
            Assert.Equal([512L, 64L], file.Find("position_embd.weight")!.Shape);
        }
        using var hf = ModelLoader.Load(folder);
        using var gguf = ModelLoader.Load(output);
        foreach (var text in new[] { "Hello world", "The quick brown fox, 42 times!", " leading space" })
        {
            var ids = hf.RequireTokenizer().Encode(text, addSpecialTokens: true);
            Assert.Equal((0, 2), (ids[0], ids[^1]));
            Assert.Equal(ids, gguf.RequireTokenizer().Encode(text, addSpecialTokens: true));
            Assert.True(LogitErrors.RelativeMax(hf.RequireEncoder().Encode(ids), gguf.RequireEncoder().Encode(ids)) <= 1e-5, text);
        }
    }

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
