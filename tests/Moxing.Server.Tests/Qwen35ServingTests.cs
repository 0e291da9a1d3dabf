namespace Moxing.Server.Tests;

/// <summary>A Qwen3.5 (synth tiny-qwen35: Gated DeltaNet state per sequence) served to concurrent streaming clients as tiny-lfm2 is.</summary>
public sealed class Qwen35ServingTests() : HybridServingTests("tiny-qwen35");
