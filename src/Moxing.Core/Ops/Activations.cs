using System.Numerics.Tensors;

namespace Moxing.Core.Ops;

/// <summary>The activation functions of the supported architectures.</summary>
public enum Activation
{
    /// <summary>x · sigmoid(x) (Llama, Qwen, Mistral, Phi-3).</summary>
    Silu,
    /// <summary>GELU with the tanh approximation (gelu_new, gelu_pytorch_tanh: GPT-2, Gemma).</summary>
    GeluTanh,
    /// <summary>Exact GELU with erf (BERT).</summary>
    GeluErf,
    /// <summary>max(0, x).</summary>
    Relu,
}

/// <summary>Element-wise activations in place, and the gated form act(gate) · up.</summary>
public static class Activations
{
    private const float SqrtTwoOverPi = 0.7978845608028654f;

    /// <summary>Applies <paramref name="kind"/> to every element of <paramref name="x"/> in place.</summary>
    public static void Apply(Activation kind, Span<float> x)
    {
        switch (kind)
        {
            case Activation.Silu:
                for (var i = 0; i < x.Length; i++) x[i] = x[i] / (1f + MathF.Exp(-x[i]));
                break;
            case Activation.GeluTanh:
                for (var i = 0; i < x.Length; i++)
                {
                    var v = x[i];
                    x[i] = 0.5f * v * (1f + MathF.Tanh(SqrtTwoOverPi * (v + 0.044715f * v * v * v)));
                }
                break;
            case Activation.GeluErf:
                for (var i = 0; i < x.Length; i++) x[i] = (float)(0.5 * x[i] * (1 + Erf(x[i] / Math.Sqrt(2))));
                break;
            case Activation.Relu:
                TensorPrimitives.Max(x, 0f, x);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    /// <summary>gate = act(gate) · up, element-wise (SwiGLU, GeGLU).</summary>
    public static void Gated(Activation kind, Span<float> gate, ReadOnlySpan<float> up)
    {
        Apply(kind, gate);
        TensorPrimitives.Multiply(gate, up, gate);
    }

    /// <summary>The error function, to double precision (W. J. Cody's rational approximations via erfc).</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        var z = Math.Abs(x);
        if (z < 2.5)
        {
            // The Maclaurin series is accurate here; the continued fraction below converges fast only further out.
            double sum = z, term = z, z2 = z * z;
            for (var n = 1; n < 80; n++)
            {
                term *= -z2 / n;
                var add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            return Math.Sign(x) * sum * 1.1283791670955126;
        }
        return Math.Sign(x) * (1 - Erfc(z));
    }

    // Continued fraction for erfc (Lentz), accurate to ~1e-15 for z >= 2.5.
    private static double Erfc(double z)
    {
        if (z > 27) return 0;
        const double tiny = 1e-300;
        double f = z, c = z, d = 0;
        for (var n = 1; n < 500; n++)
        {
            var a = n * 0.5;
            d = z + a * d;
            d = Math.Abs(d) < tiny ? tiny : d;
            c = z + a / c;
            c = Math.Abs(c) < tiny ? tiny : c;
            d = 1 / d;
            var delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return Math.Exp(-z * z) / (f * 1.7724538509055159);
    }
}
