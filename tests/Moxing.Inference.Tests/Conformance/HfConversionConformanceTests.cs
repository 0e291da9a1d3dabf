using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Mixes;
using Moxing.Models;
using Moxing.Models.Conversion;
using Moxing.Tests;

namespace Moxing.Inference.Tests.Conformance;

/// <summary>
/// Hugging Face folders quantized straight to GGUF (convert_hf_to_gguf.py's layout, then llama-quantize's choices) reproduce
/// transformers' logits of the folder: in the folder's own type within 1e-3 with identical greedy text, in other types within
/// the quantized bounds of tests/fixtures/gguf/README.md (a ≤ 0.15, c ≤ 0.05); the converted tokenizer and chat template
/// are the folder's. (llama-k256's random weights turn even Q8_0 rounding into a ≈ 0.17, and 4-bit outputs of all of them drift
/// further, so those are checked byte for byte against llama-quantize's files in HfGgufInputTests instead.)
/// </summary>
public sealed class HfConversionConformanceTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-hfconv-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("llama-tiny", "F32", true)]
    [InlineData("llama-tiny", "F16", false)]
    [InlineData("qwen2-tiny", "Q8_0", false)]
    [InlineData("gpt2-tiny", "F32", true)]
    [InlineData("gpt2-tiny", "F16", false)]
    [InlineData("qwen3-tiny-realvocab", "BF16", true)]
    [InlineData("qwen3-tiny-realvocab", "Q8_0", false)]
    public void TheQuantizedFolderMatchesTheFolderReference(string model, string type, bool sameType)
    {
        var folder = Fixtures.Path("hf", "models", model);
        var path = Path.Combine(_dir, $"{model}.{type}.gguf");
        using (var input = new HfGgufInput(folder))
            GgufQuantizer.Quantize(input, path, QuantizationMix.Find(type)!, null, WorkerPool.Shared);
        var (a, c) = ReferenceRun.AssertMatches(path, Path.Combine(folder, "reference.safetensors"), sameType ? 1e-3 : 0.15,
            checkGreedy: sameType, p99Bound: sameType ? null : 0.05);
        output.WriteLine($"{model} → {type}: a = {a:E2}, c = {c:E2}");

        using var converted = ModelLoader.Load(path);
        using var original = ModelLoader.Load(folder);
        foreach (var text in new[] { "Hello, world! How are you today?", "  indented\n\tcode() => 42;", "naïve café 東京 🚀", "<|im_start|>user\nhi<|im_end|>" })
            Assert.Equal(original.RequireTokenizer().Encode(text, addSpecialTokens: true), converted.RequireTokenizer().Encode(text, addSpecialTokens: true));
        Assert.Equal(original.ChatTemplates?.Templates["default"], converted.ChatTemplates?.Templates["default"]);
    }
}
