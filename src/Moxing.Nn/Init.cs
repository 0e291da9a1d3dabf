using Moxing.Core.Autograd;

namespace Moxing.Nn;

/// <summary>The seeded random source modules draw initial weights and dropout masks from by default (as torch.manual_seed).</summary>
public static class Rng
{
    /// <summary>The default source; not thread-safe, like PyTorch's global generator.</summary>
    public static Random Shared { get; private set; } = new(0);

    /// <summary>Restarts the default source from <paramref name="seed"/>.</summary>
    public static void Seed(int seed) => Shared = new Random(seed);
}

/// <summary>Weight initializers with PyTorch's formulas (torch.nn.init).</summary>
public static class Init
{
    /// <summary>Fan-in and fan-out of a weight [out, in, kernel…] as PyTorch computes them.</summary>
    public static (int FanIn, int FanOut) Fans(Tensor weight)
    {
        if (weight.Rank < 2) throw new ArgumentException("fan in/out need a tensor of rank 2 or more");
        var receptive = 1;
        for (var i = 2; i < weight.Rank; i++) receptive *= weight.Shape[i];
        return (weight.Shape[1] * receptive, weight.Shape[0] * receptive);
    }

    /// <summary>U(−b, b) with b = gain·√(3/fan_in), gain = √(2/(1+a²)) (kaiming_uniform_, leaky_relu); a = √5 is nn.Linear's and nn.Conv2d's default.</summary>
    public static void KaimingUniform(Tensor weight, Random rng, double a = 2.23606797749979)
    {
        var gain = Math.Sqrt(2.0 / (1 + a * a));
        var bound = (float)(gain * Math.Sqrt(3.0 / Fans(weight).FanIn));
        weight.FillUniform(rng, -bound, bound);
    }

    /// <summary>U(−b, b) with b = gain·√(6/(fan_in+fan_out)) (xavier_uniform_).</summary>
    public static void XavierUniform(Tensor weight, Random rng, double gain = 1)
    {
        var (fanIn, fanOut) = Fans(weight);
        var bound = (float)(gain * Math.Sqrt(6.0 / (fanIn + fanOut)));
        weight.FillUniform(rng, -bound, bound);
    }

    /// <summary>U(−1/√fan_in, 1/√fan_in), the default bias of nn.Linear and nn.Conv2d.</summary>
    public static void BiasUniform(Tensor bias, int fanIn, Random rng)
    {
        var bound = fanIn > 0 ? 1f / MathF.Sqrt(fanIn) : 0f;
        bias.FillUniform(rng, -bound, bound);
    }
}
