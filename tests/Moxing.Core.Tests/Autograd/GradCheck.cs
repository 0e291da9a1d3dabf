using Moxing.Core.Autograd;

namespace Moxing.Core.Tests.Autograd;

/// <summary>Compares autograd gradients with central finite differences of loss = Σ out·upstream.</summary>
internal static class GradCheck
{
    public static Tensor Random(int seed, params int[] shape) => Tensor.Uniform(new Random(seed), -1f, 1f, shape).RequireGrad();

    public static void Check(Func<Tensor[], Tensor> f, params Tensor[] inputs) => Check(f, 1e-3f, inputs);

    public static void Check(Func<Tensor[], Tensor> f, float step, params Tensor[] inputs)
    {
        foreach (var t in inputs) t.ZeroGrad();
        var output = f(inputs);
        var upstream = Tensor.Uniform(new Random(99), -1f, 1f, output.Shape);
        output.Backward(upstream);
        var checkedAny = false;
        foreach (var input in inputs)
        {
            if (!input.RequiresGrad) continue;
            Assert.NotNull(input.Grad);
            var analytic = input.Grad!.ToArray();
            var data = input.Data;
            // At most 40 elements per input, spread over the tensor, keep tests fast.
            var stride = Math.Max(1, data.Length / 40);
            for (var i = 0; i < data.Length; i += stride)
            {
                var saved = data[i];
                data[i] = saved + step;
                var plus = Loss(f, inputs, upstream);
                data[i] = saved - step;
                var minus = Loss(f, inputs, upstream);
                data[i] = saved;
                var numeric = (plus - minus) / (2 * step);
                var tolerance = 5e-3 + 1e-2 * Math.Abs(numeric);
                Assert.True(Math.Abs(numeric - analytic[i]) <= tolerance,
                    $"input {Shapes.Format(input.Shape)} element {i}: analytic {analytic[i]}, numeric {numeric}");
                checkedAny = true;
            }
        }
        Assert.True(checkedAny);
    }

    private static double Loss(Func<Tensor[], Tensor> f, Tensor[] inputs, Tensor upstream)
    {
        using var _ = GradMode.NoGrad();
        var output = f(inputs);
        double sum = 0;
        for (var i = 0; i < output.Count; i++) sum += (double)output.Data[i] * upstream.Data[i];
        return sum;
    }
}
