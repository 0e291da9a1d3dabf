using System.Runtime.InteropServices;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.Safetensors;
using Moxing.Core.Tensors;
using Moxing.Tests;

namespace Moxing.Core.Tests.Formats;

public class GgufFileTests
{
    public static TheoryData<string> FixtureFiles()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.EnumerateFiles(Fixtures.Path("gguf"), "*.gguf").Order()) data.Add(Path.GetFileName(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(FixtureFiles))]
    public void ReadsEveryFixture(string name)
    {
        using var file = GgufFile.Open(Fixtures.Path("gguf", name));
        Assert.Equal(3u, file.Version);
        Assert.Equal(32, file.Alignment);
        Assert.Equal(0, file.DataOffset % file.Alignment);
        var arch = file.Metadata.GetString("general.architecture");
        Assert.Equal(name.Split('-')[0], arch);
        Assert.Equal(2, file.Metadata.GetInt64($"{arch}.block_count"));
        Assert.True(file.Metadata.GetInt32($"{arch}.embedding_length") > 0);
        Assert.NotEmpty(file.Metadata.GetArray<string>("tokenizer.ggml.tokens"));

        Assert.NotNull(file.Find("token_embd.weight"));
        Assert.NotNull(file.Find("blk.1.attn_norm.weight"));
        foreach (var t in file.Tensors)
        {
            Assert.True(t.Type.IsSupported());
            Assert.InRange(t.Shape.Length, 1, 4);
            Assert.All(t.Shape, d => Assert.True(d > 0));
            Assert.Equal(0, t.RowLength % t.Type.BlockSize());
            Assert.Equal(t.Type.ByteCount(t.ElementCount), t.ByteLength);
            Assert.Same(t, file.Find(t.Name));
        }
        var vocab = file.Metadata.GetArray<string>("tokenizer.ggml.tokens").Length;
        Assert.Equal(vocab, file.Find("token_embd.weight")!.Shape[0]);
    }

    [Fact]
    public void F32TensorsMatchTheHuggingFaceWeightsWithShapesOutermostFirst()
    {
        using var gguf = GgufFile.Open(Fixtures.Path("gguf", "llama-tiny.F32.gguf"));
        using var hf = SafetensorsFile.Open(Fixtures.Path("hf", "models", "llama-tiny", "model.safetensors"));
        foreach (var (g, h) in new[] { ("token_embd.weight", "model.embed_tokens.weight"), ("blk.0.ffn_down.weight", "model.layers.0.mlp.down_proj.weight"),
                     ("blk.1.ffn_norm.weight", "model.layers.1.post_attention_layernorm.weight"), ("output.weight", "lm_head.weight") })
        {
            var a = gguf.Find(g)!;
            var b = hf.Find(h)!;
            Assert.Equal(b.Shape, a.Shape);
            Assert.Equal(DType.F32, a.Type);
            Assert.True(a.Bytes.SequenceEqual(b.Bytes), g);
        }
    }

    [Theory]
    [InlineData("Q4_K_M")]
    [InlineData("Q2_K")]
    [InlineData("IQ4_XS")]
    [InlineData("BF16")]
    public void TypesAndShapesAgreeWithGgufPy(string quant)
    {
        using var gguf = GgufFile.Open(Fixtures.Path("gguf", $"llama-k256.{quant}.gguf"));
        using var reference = SafetensorsFile.Open(Fixtures.Path("gguf", $"llama-k256.{quant}.dequant.safetensors"));
        var checkedCount = 0;
        foreach (var r in reference.Tensors)
        {
            if (r.Name.EndsWith(".ggml_type", StringComparison.Ordinal)) continue;
            var t = gguf.Find(r.Name)!;
            Assert.Equal(r.Shape, t.Shape);
            var typeId = MemoryMarshal.Read<int>(reference.Find(r.Name + ".ggml_type")!.Bytes);
            Assert.Equal((DType)typeId, t.Type);
            checkedCount++;
        }
        Assert.Equal(4, checkedCount);
    }

    [Fact]
    public void ReadsARealTokenizerAndTemplateFromMetadata()
    {
        using var file = GgufFile.Open(Fixtures.Path("gguf", "qwen3-tiny-realvocab.Q8_0.gguf"));
        var m = file.Metadata;
        var tokens = m.GetArray<string>("tokenizer.ggml.tokens");
        Assert.Equal(151936, tokens.Length);
        Assert.Equal("!", tokens[0]);
        Assert.Equal(tokens.Length, m.GetArray<int>("tokenizer.ggml.token_type").Length);
        Assert.Equal("Ġ Ġ", m.GetArray<string>("tokenizer.ggml.merges")[0]);
        Assert.Equal(151645, m.GetInt64("tokenizer.ggml.eos_token_id"));
        Assert.Equal(1e6f, m.GetSingle("qwen3.rope.freq_base"));
        Assert.Contains("<|im_start|>", m.GetString("tokenizer.chat_template"));
        Assert.Equal("qwen2", m["tokenizer.ggml.pre"]);
    }

    [Fact]
    public void ReadsVersion2Files()
    {
        using var temp = new TempFolder();
        using var stream = new MemoryStream();
        new GgufWriter().Set("general.architecture", "llama").AddF32("w", [2], new[] { 1f, 2f }).Write(stream);
        var bytes = stream.ToArray();
        bytes[4] = 2;
        var path = temp.Write("v2.gguf", bytes);
        using var file = GgufFile.Open(path);
        Assert.Equal(2u, file.Version);
        Assert.Equal("llama", file.Metadata.GetString("general.architecture"));
        Assert.Equal([1f, 2f], MemoryMarshal.Cast<byte, float>(file.Find("w")!.Bytes).ToArray());
    }
}
