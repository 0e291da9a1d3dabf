using System.Numerics.Tensors;
using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Kernels;
using Moxing.Core.Tensors;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Mixes;
using Moxing.Models.Conversion;
using Moxing.Models.Encoder;
using Moxing.Tests;

namespace Moxing.Models.Tests.Encoder;

/// <summary>
/// The bert-tiny fixture folder (checked against transformers by BertConformanceTests) converted to GGUF as
/// convert_hf_to_gguf.py's BertModel writes it, then loaded through the GGUF path: llama.cpp's names and keys, the same
/// hidden states, the same token ids from the GGUF WordPiece tokenizer, quantized weights through the quantized kernels.
/// </summary>
public sealed class BertGgufTests : IDisposable
{
    private static readonly int[][] Inputs = [[2, 40, 50, 3], [2, 17, 900, 301, 5, 77, 1000, 12, 3], [2, 3], [2, 500, 3]];
    private static readonly string[] Texts = ["hello world", "The quick brown fox jumps over the lazy dog.", "un-believable!!! 123", "  spaces\tand\nlines  ", "Café naïve façade"];

    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-bert-").FullName;
    private static string Folder => Fixtures.Path("hf", "models", "bert-tiny");

    /// <summary>Converts bert-tiny to <paramref name="type"/> and returns the file.</summary>
    internal static string Convert(string type, string dir)
    {
        var output = Path.Combine(dir, $"bert-tiny.{type}.gguf");
        using var input = new EncoderGgufInput(Folder);
        GgufQuantizer.Quantize(input, output, QuantizationMix.Find(type)!, null, WorkerPool.Shared);
        return output;
    }

    [Fact]
    public void ConvertedFileHasLlamaCppsNamesAndKeys()
    {
        using var file = GgufFile.Open(Convert("F32", _dir));
        var m = file.Metadata;
        Assert.Equal("bert", m.GetString("general.architecture"));
        Assert.False(m.GetBool("bert.attention.causal"));
        Assert.Equal(512, m.GetInt32("bert.context_length"));
        Assert.Equal(2, m.GetInt32("tokenizer.ggml.token_type_count"));
        Assert.Equal("bert", m.GetString("tokenizer.ggml.model"));
        Assert.Equal(2, m.GetInt32("tokenizer.ggml.cls_token_id"));
        Assert.Equal(3, m.GetInt32("tokenizer.ggml.seperator_token_id"));
        Assert.True(m.GetBool("tokenizer.ggml.add_bos_token"));
        Assert.True(m.GetBool("tokenizer.ggml.add_eos_token"));
        Assert.False(m.GetBool("tokenizer.ggml.add_sep_token"));
        foreach (var name in new[] { "token_embd.weight", "position_embd.weight", "token_types.weight", "token_embd_norm.bias",
                     "blk.1.attn_q.weight", "blk.1.attn_k.bias", "blk.1.attn_v.weight", "blk.1.attn_output.weight", "blk.1.attn_output_norm.weight",
                     "blk.1.ffn_up.weight", "blk.1.ffn_down.bias", "blk.1.layer_output_norm.bias" })
            Assert.NotNull(file.Find(name));
        Assert.DoesNotContain(file.Tensors, t => t.Name.Contains("pooler", StringComparison.Ordinal));
    }

    [Fact]
    public void F32FileEncodesAsTheFolder()
    {
        using var folder = ModelLoader.Load(Folder);
        using var gguf = ModelLoader.Load(Convert("F32", _dir));
        Assert.Equal(ModelFormat.Gguf, gguf.Format);
        foreach (var ids in Inputs)
            Assert.True(LogitErrors.RelativeMax(folder.RequireEncoder().Encode(ids), gguf.RequireEncoder().Encode(ids)) <= 1e-5, string.Join(",", ids));
    }

    [Fact]
    public void GgufWordPieceTokenizesAsTokenizerJson()
    {
        using var folder = ModelLoader.Load(Folder);
        using var gguf = ModelLoader.Load(Convert("F32", _dir));
        foreach (var text in Texts)
            Assert.Equal(folder.RequireTokenizer().Encode(text, addSpecialTokens: true), gguf.RequireTokenizer().Encode(text, addSpecialTokens: true));
        Assert.Equal([2, 3], gguf.RequireTokenizer().Encode("", addSpecialTokens: true));
    }

    [Theory]
    [InlineData("Q8_0", 0.999)]
    [InlineData("Q4_K_M", 0.98)]
    public void QuantizedFileEmbedsCloseToTheFolder(string type, double minCosine)
    {
        using var folder = ModelLoader.Load(Folder);
        using var gguf = ModelLoader.Load(Convert(type, _dir));
        Assert.Contains(gguf.Tensors, t => t.Type != DType.F32 && t.Shape.Length == 2);
        foreach (var ids in Inputs)
        {
            var expected = BertModel.MeanPooledNormalized(folder.RequireEncoder().Encode(ids), 64);
            var actual = BertModel.MeanPooledNormalized(gguf.RequireEncoder().Encode(ids), 64);
            Assert.True(TensorPrimitives.CosineSimilarity(expected, actual) >= minCosine, $"{type} {string.Join(",", ids)}");
        }
    }

    [Fact]
    public void BadTensorsAndKeysAreNamed()
    {
        var path = Convert("F32", _dir);
        var missing = GgufCopy.Write(path, Path.Combine(_dir, "missing.gguf"), drop: "blk.1.ffn_up.weight");
        var e = Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(missing));
        Assert.Contains("blk.1.ffn_up.weight", e.Message);
        var causal = GgufCopy.Write(path, Path.Combine(_dir, "causal.gguf"), set: ("bert.attention.causal", true));
        e = Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(causal));
        Assert.Contains("bert.attention.causal", e.Message);
        var negative = GgufCopy.Write(path, Path.Combine(_dir, "negative.gguf"), set: ("bert.block_count", -3));
        e = Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(negative));
        Assert.Contains("bert.block_count", e.Message);
        var qkvless = GgufCopy.Write(path, Path.Combine(_dir, "qkvless.gguf"), drop: "blk.0.attn_k.weight");
        e = Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(qkvless));
        Assert.Contains("blk.0.attn_k.weight", e.Message);
    }

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
