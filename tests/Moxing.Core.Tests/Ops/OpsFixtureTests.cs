using Moxing.Core.Formats.Safetensors;
using Moxing.Core.Ops;
using Moxing.Tests;

namespace Moxing.Core.Tests.Ops;

/// <summary>The inference ops against PyTorch's outputs in tests/fixtures/hf/ops.</summary>
public sealed class OpsFixtureTests : IDisposable
{
    private readonly SafetensorsFile _ops = SafetensorsFile.Open(Fixtures.Path("hf", "ops", "ops.safetensors"));

    private float[] Read(string name)
    {
        var t = _ops.Find(name) ?? throw new InvalidOperationException(name);
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.Bytes).ToArray();
    }

    private static void AssertClose(float[] expected, float[] actual, float tolerance = 1e-5f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"[{i}] expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void RmsNormMatchesPyTorch()
    {
        var x = Read("rmsnorm.in.x");
        var y = new float[x.Length];
        Norms.RmsNorm(x, Read("rmsnorm.param.weight"), 1e-6f, 0f, y);
        AssertClose(Read("rmsnorm.out0"), y);
    }

    [Fact]
    public void GemmaStyleRmsNormAddsOneToTheWeight()
    {
        var x = Read("rmsnorm.in.x");
        var w = Read("rmsnorm.param.weight");
        var shifted = w.Select(v => v - 1f).ToArray();
        var y = new float[x.Length];
        Norms.RmsNorm(x, shifted, 1e-6f, 1f, y);
        AssertClose(Read("rmsnorm.out0"), y);
    }

    [Fact]
    public void LayerNormMatchesPyTorch()
    {
        var x = Read("layernorm.in.x");
        var y = new float[x.Length];
        Norms.LayerNorm(x, Read("layernorm.param.weight"), Read("layernorm.param.bias"), 1e-5f, y);
        AssertClose(Read("layernorm.out0"), y);
    }

    [Theory]
    [InlineData("gelu", Activation.GeluErf)]
    [InlineData("gelu_tanh", Activation.GeluTanh)]
    [InlineData("silu", Activation.Silu)]
    [InlineData("relu", Activation.Relu)]
    public void ActivationsMatchPyTorch(string op, Activation kind)
    {
        var x = Read(op + ".in.x");
        Activations.Apply(kind, x);
        AssertClose(Read(op + ".out0"), x);
    }

    [Fact]
    public void AttentionHeadMatchesSoftmaxWeightedSum()
    {
        // Two keys; scores 1·scale and 3·scale: check against the closed form.
        float[] q = [1, 1], keys = [1, 0, 1, 2], values = [10, 0, 0, 10], scores = new float[2], output = new float[2];
        Attention.Head(q, keys, values, 2, 0, 2, 0.5f, 0, scores, output);
        var p0 = 1 / (1 + Math.Exp(1.0));
        Assert.Equal(10 * p0, output[0], 5);
        Assert.Equal(10 * (1 - p0), output[1], 5);
    }

    [Fact]
    public void SoftCapBoundsScores()
    {
        float[] q = [100], keys = [1, -1], values = [1, 0], scores = new float[2], output = new float[1];
        Attention.Head(q, keys, values, 1, 0, 2, 1f, 2f, scores, output);
        // tanh caps both scores at ±2, so the weights are softmax(2, -2), not a one-hot.
        Assert.Equal(1 / (1 + Math.Exp(-4.0)), output[0], 5);
    }

    public void Dispose() => _ops.Dispose();
}
