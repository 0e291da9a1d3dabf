using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Mixes;
using Moxing.Models.Conversion;
using Moxing.Tests;

namespace Moxing.Models.Tests.Conversion;

/// <summary>The fixture GGUFs were written by llama.cpp's convert_hf_to_gguf.py (F32/F16/BF16) and llama-quantize from the same folders.</summary>
public sealed class HfGgufInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-hfgguf-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("llama-tiny", "F32")]
    [InlineData("llama-tiny", "F16")]
    [InlineData("llama-tiny", "BF16")]
    [InlineData("qwen2-tiny", "F32")]
    [InlineData("qwen2-tiny", "BF16")]
    [InlineData("qwen2-tiny", "Q8_0")]
    [InlineData("gpt2-tiny", "F32")]
    [InlineData("gpt2-tiny", "Q8_0")]
    [InlineData("llama-k256", "F32")]
    [InlineData("llama-k256", "Q4_K_M")]
    [InlineData("llama-k256", "IQ4_XS")]
    [InlineData("qwen3-tiny-realvocab", "Q8_0")]
    public void TheFolderQuantizesToTheConverterAndLlamaQuantizeFile(string model, string type)
    {
        var output = Quantize(model, type);
        using var ours = GgufFile.Open(output);
        using var theirs = GgufFile.Open(Fixtures.Path("gguf", $"{model}.{type}.gguf"));
        Assert.Equal(theirs.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal), ours.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        foreach (var t in theirs.Tensors)
        {
            var mine = ours.Find(t.Name)!;
            Assert.Equal(t.Type, mine.Type);
            Assert.Equal(t.Shape, mine.Shape);
            Assert.True(t.Bytes.SequenceEqual(mine.Bytes), $"{t.Name}: bytes differ");
        }
        Assert.Equal(theirs.Metadata.Keys.Order(StringComparer.Ordinal), ours.Metadata.Keys.Order(StringComparer.Ordinal));
        foreach (var key in theirs.Metadata.Keys)
            Assert.True(SameValue(theirs.Metadata[key], ours.Metadata[key]), $"{key}: {theirs.Metadata[key]} vs {ours.Metadata[key]}");
    }

    [Fact]
    public void Llama3RopeScalingBecomesRopeFreqs()
    {
        var folder = CopyFolder("llama-tiny", config => config.Replace(
            "\"rope_type\": \"default\"",
            "\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 64"));
        using var input = new HfGgufInput(folder);
        var header = Assert.Single(input.Tensors, t => t.Name == "rope_freqs.weight");
        Assert.Equal([8L], header.Shape);
        float[] factors = [];
        input.Read("rope_freqs.weight", t => factors = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.Bytes).ToArray());
        // The highest frequencies are untouched, the lowest divided by the factor.
        Assert.Equal(1f, factors[0]);
        Assert.Equal(8f, factors[^1], 1e-4f);
    }

    // llama.cpp's converter writes LongRoPE's factor tensors only for phi3, and keeps no other scaling for phi3.
    [Theory]
    [InlineData("llama", "{\"rope_type\": \"longrope\", \"rope_theta\": 10000.0, \"short_factor\": [1,1,1,1,1,1,1,1], \"long_factor\": [2,2,2,2,2,2,2,2]}", "LongRoPE")]
    [InlineData("phi3", "{\"rope_type\": \"yarn\", \"rope_theta\": 10000.0, \"factor\": 4.0, \"original_max_position_embeddings\": 64}", "only LongRoPE")]
    public void ScaledRopeTheConverterWouldDropIsRefused(string modelType, string rope, string reason)
    {
        var folder = CopyFolder("llama-tiny", config => System.Text.RegularExpressions.Regex.Replace(config, "\"rope_parameters\": \\{[^}]*\\}", $"\"rope_parameters\": {rope}")
            .Replace("\"model_type\": \"llama\"", $"\"model_type\": \"{modelType}\""));
        var e = Assert.Throws<InvalidModelFileException>(() => new HfGgufInput(folder));
        Assert.Contains(reason, e.Message);
        Assert.Contains("rope_scaling", e.Message);
    }

    [Fact]
    public void UnconvertibleFoldersAreClearErrors()
    {
        var e = Assert.Throws<InvalidModelFileException>(() => new HfGgufInput(Fixtures.Path("hf", "models", "bert-tiny")));
        Assert.Contains("model_type 'bert'", e.Message);
        Assert.Throws<InvalidModelFileException>(() => new HfGgufInput(_dir));
    }

    private string Quantize(string model, string type)
    {
        var output = Path.Combine(_dir, $"{model}.{type}.gguf");
        using var input = new HfGgufInput(Fixtures.Path("hf", "models", model));
        GgufQuantizer.Quantize(input, output, QuantizationMix.Find(type)!, null, WorkerPool.Shared);
        return output;
    }

    private string CopyFolder(string model, Func<string, string> editConfig)
    {
        var source = Fixtures.Path("hf", "models", model);
        var target = Path.Combine(_dir, model);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        var config = Path.Combine(target, "config.json");
        File.WriteAllText(config, editConfig(File.ReadAllText(config)));
        return target;
    }

    private static bool SameValue(object a, object b) =>
        a is Array x && b is Array y ? x.Length == y.Length && x.Cast<object>().SequenceEqual(y.Cast<object>()) : a.Equals(b);
}
