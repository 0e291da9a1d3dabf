using Moxing.Tests;

namespace Moxing.Inference.Tests.Conformance;

/// <summary>Every HF fixture model: logits within 1e-3 of transformers' and identical greedy continuations.</summary>
public sealed class HfModelConformanceTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Theory]
    [InlineData("llama-tiny")]
    [InlineData("qwen2-tiny")]
    [InlineData("gpt2-tiny")]
    [InlineData("llama-k256")]
    [InlineData("qwen3-tiny-realvocab")]
    public void LogitsAndGreedyMatchTransformers(string name)
    {
        var folder = Fixtures.Path("hf", "models", name);
        var (a, c) = ReferenceRun.AssertMatches(folder, Path.Combine(folder, "reference.safetensors"), 1e-3, checkGreedy: true);
        output.WriteLine($"{name}: a = {a:E2}, c = {c:E2}");
    }
}
