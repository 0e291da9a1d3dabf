using System.Text.Json.Nodes;
using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.Safetensors;
using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Mixes;
using Moxing.Models.Conversion;
using Moxing.Models.Synthesis;
using Moxing.Tests;

namespace Moxing.Models.Tests.Encoder;

/// <summary>
/// nomic-ai's NomicBertModel folders (config n_embd/n_layer/rotary_emb_*, tensors emb_ln, attn.Wqkv, mlp.fc11/fc12/fc2,
/// norm1/norm2), written from a synthetic nomic-bert GGUF by the converter's tensor map read backwards: the folder encodes as
/// the GGUF, converts back to it, and configs the architecture does not cover are refused by key.
/// </summary>
public sealed class NomicBertHfTests : IDisposable
{
    private static readonly (string Gguf, string Hf)[] Names =
    [
        ("token_embd", "embeddings.word_embeddings"), ("token_types", "embeddings.token_type_embeddings"), ("token_embd_norm", "emb_ln"),
        ("attn_qkv", "attn.Wqkv"), ("attn_output_norm", "norm1"), ("attn_output", "attn.out_proj"), ("ffn_up", "mlp.fc11"),
        ("ffn_gate", "mlp.fc12"), ("ffn_down", "mlp.fc2"), ("layer_output_norm", "norm2"),
    ];

    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-nomic-hf-").FullName;

    private (string Gguf, string Folder) Write(Action<JsonObject>? editConfig = null)
    {
        var gguf = Path.Combine(_dir, "tiny-nomic-bert.gguf");
        SyntheticModelWriter.Write(SynthShape.Find("tiny-nomic-bert")!, SynthFileType.Find("F16")!, 5, gguf);
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "nomic")).FullName;
        var config = new JsonObject
        {
            ["model_type"] = "nomic_bert",
            ["vocab_size"] = 1024,
            ["n_embd"] = 128,
            ["n_layer"] = 2,
            ["n_head"] = 4,
            ["n_inner"] = 256,
            ["n_positions"] = 512,
            ["layer_norm_epsilon"] = 1e-12,
            ["rotary_emb_base"] = 1000,
            ["rotary_emb_fraction"] = 1.0,
            ["rotary_emb_interleaved"] = false,
            ["activation_function"] = "swiglu",
            ["prenorm"] = false,
            ["causal"] = false,
            ["qkv_proj_bias"] = false,
            ["mlp_fc1_bias"] = false,
            ["mlp_fc2_bias"] = false,
            ["type_vocab_size"] = 2,
        };
        editConfig?.Invoke(config);
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        var w = new SafetensorsWriter();
        using (var file = GgufFile.Open(gguf))
            foreach (var t in file.Tensors)
            {
                var values = new float[t.ElementCount];
                Dequantizer.Dequantize(t.Type, t.Bytes, values);
                w.Add(HfName(t.Name), t.Shape, values);
            }
        w.Write(Path.Combine(folder, "model.safetensors"));
        return (gguf, folder);
    }

    // blk.N.attn_qkv.weight → encoder.layers.N.attn.Wqkv.weight (longest GGUF name first: attn_output_norm before attn_output).
    private static string HfName(string gguf)
    {
        var parts = gguf.Split('.');
        var layer = parts[0] == "blk" ? $"encoder.layers.{parts[1]}." : "";
        var slot = parts[0] == "blk" ? parts[2] : parts[0];
        return layer + Names.First(n => n.Gguf == slot).Hf + "." + parts[^1];
    }

    [Fact]
    public void FolderEncodesAsTheGgufAndConvertsBackToIt()
    {
        var (gguf, folder) = Write();
        using var fromGguf = ModelLoader.Load(gguf);
        using var fromFolder = ModelLoader.Load(folder);
        Assert.Equal("nomic_bert", fromFolder.Architecture);
        int[] ids = [2, 40, 50, 900, 7, 3];
        Assert.True(LogitErrors.RelativeMax(fromGguf.RequireEncoder().Encode(ids), fromFolder.RequireEncoder().Encode(ids)) <= 1e-6);

        var converted = Path.Combine(_dir, "converted.gguf");
        using (var input = new EncoderGgufInput(folder))
            GgufQuantizer.Quantize(input, converted, QuantizationMix.Find("F16")!, null, WorkerPool.Shared);
        using var original = GgufFile.Open(gguf);
        using var ours = GgufFile.Open(converted);
        Assert.Equal("nomic-bert", ours.Metadata.GetString("general.architecture"));
        Assert.Equal(1000f, ours.Metadata.GetSingle("nomic-bert.rope.freq_base"));
        Assert.Equal(original.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal), ours.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        foreach (var t in ours.Tensors) Assert.True(original.Find(t.Name)!.Bytes.SequenceEqual(t.Bytes), t.Name);
    }

    [Theory]
    [InlineData("rotary_emb_fraction", 0.5, "rotary_emb_fraction")]
    [InlineData("prenorm", true, "prenorm")]
    [InlineData("activation_function", "gelu", "activation_function")]
    public void UncoveredConfigIsRefusedByKey(string key, object value, string named)
    {
        var (_, folder) = Write(c => c[key] = JsonValue.Create(value));
        var e = Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder));
        Assert.Contains(named, e.Message);
    }

    [Fact]
    public void MissingFusedProjectionIsNamed()
    {
        var (_, folder) = Write();
        var w = new SafetensorsWriter();
        using (var source = SafetensorsFile.Open(Path.Combine(folder, "model.safetensors")))
            foreach (var t in source.Tensors)
                if (t.Name != "encoder.layers.1.attn.Wqkv.weight") w.Add(t.Name, t.Type, t.Shape, t.Bytes.ToArray());
        w.Write(Path.Combine(folder, "model.safetensors"));
        var e = Assert.Throws<InvalidModelFileException>(() => ModelLoader.Load(folder));
        Assert.Contains("encoder.layers.1.attn.Wqkv.weight", e.Message);
    }

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
