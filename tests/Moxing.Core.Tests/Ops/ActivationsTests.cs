using Moxing.Core.Ops;

namespace Moxing.Core.Tests.Ops;

public class ActivationsTests
{
    // 37 values: two 16-wide vectors and a 5-value tail, or four 8-wide vectors and a tail, whichever the processor takes
    private static float[] Inputs()
    {
        var random = new Random(7);
        var x = new float[37];
        for (var i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 24 - 12);
        float[] extremes = [0f, -0f, 90f, -90f, 1e30f, -1e30f, 1e-30f, 20f, -20f];
        extremes.CopyTo(x, 3);
        extremes.CopyTo(x, 28);
        return x;
    }

    private static double Silu(double x) => x / (1 + Math.Exp(-x));

    private static double GeluTanh(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

    private static void AssertNear(double expected, float actual, int i) =>
        Assert.True(Math.Abs(expected - actual) <= 2e-6 * Math.Max(1, Math.Abs(expected)), $"element {i}: {actual}, expected {expected}");

    [Theory]
    [InlineData(Activation.Silu)]
    [InlineData(Activation.GeluTanh)]
    public void VectorsAndTailMatchTheFormulaInDoublePrecision(Activation kind)
    {
        var x = Inputs();
        var y = x.ToArray();
        Activations.Apply(kind, y);
        for (var i = 0; i < x.Length; i++) AssertNear(kind == Activation.Silu ? Silu(x[i]) : GeluTanh(x[i]), y[i], i);
    }

    // Nemotron's relu²: max(x, 0)² rounded once (a float square of a float is exact in double), +inf past √float.MaxValue.
    [Fact]
    public void ReluSquaredIsTheSquareOfThePositivePart()
    {
        var x = Inputs();
        var y = x.ToArray();
        Activations.Apply(Activation.ReluSquared, y);
        for (var i = 0; i < x.Length; i++)
        {
            var positive = (double)Math.Max(x[i], 0f);
            Assert.Equal((float)(positive * positive), y[i]);
        }
        Assert.Equal(float.PositiveInfinity, y[3 + 4]); // 1e30 squared
        Assert.Equal(0f, y[3 + 5]); // -1e30
    }

    [Theory]
    [InlineData(Activation.Silu)]
    [InlineData(Activation.GeluTanh)]
    public void TheGatedFormMultipliesEachElementByItsUp(Activation kind)
    {
        var x = Inputs();
        var up = x.Select((_, i) => (float)(i % 7 - 3)).ToArray();
        var gate = x.ToArray();
        Activations.Gated(kind, gate, up);
        for (var i = 0; i < x.Length; i++) AssertNear((kind == Activation.Silu ? Silu(x[i]) : GeluTanh(x[i])) * up[i], gate[i], i);
    }

    [Fact]
    public void AnUpShorterThanTheGatesIsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => Activations.Gated(Activation.Silu, new float[8], new float[7]));
        Assert.Contains("7 values for 8 gates", error.Message);
    }
}
