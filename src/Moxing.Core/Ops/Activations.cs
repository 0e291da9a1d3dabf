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
    /// <summary>
    /// gpt-oss's clamped SwiGLU, gated only (llama.cpp's swiglu_oai): g = min(gate, 7), u = clamp(up, −7, 7),
    /// g · sigmoid(1.702 g) · (u + 1).
    /// </summary>
    SwigluOai,
}

/// <summary>Element-wise activations in place, the gated form act(gate) · up, and softmax.</summary>
public static class Activations
{
    private const float SqrtTwoOverPi = 0.7978845608028654f;

    /// <summary>x = softmax(x) as exp(x − max x) / Σ, so no value overflows: TensorPrimitives.SoftMax exponentiates x as it
    /// is, and one value above ~88 (an attention score of a large query and key) makes every output NaN.</summary>
    public static void Softmax(Span<float> x)
    {
        if (x.IsEmpty) return;
        TensorPrimitives.Subtract(x, TensorPrimitives.Max(x), x);
        TensorPrimitives.Exp(x, x);
        TensorPrimitives.Divide(x, TensorPrimitives.Sum(x), x);
    }

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
                GeluErf.Forward(x, x);
                break;
            case Activation.Relu:
                TensorPrimitives.Max(x, 0f, x);
                break;
            case Activation.SwigluOai:
                throw new ArgumentException("the clamped SwiGLU of gpt-oss exists only in the gated form", nameof(kind));
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    /// <summary>gate = act(gate) · up, element-wise (SwiGLU, GeGLU).</summary>
    public static void Gated(Activation kind, Span<float> gate, ReadOnlySpan<float> up)
    {
        if (kind == Activation.SwigluOai)
        {
            SwigluOai(gate, up);
            return;
        }
        Apply(kind, gate);
        TensorPrimitives.Multiply(gate, up, gate);
    }

    // gpt-oss's constants (transformers' GptOssExperts alpha and limit; llama.cpp hard-codes the same).
    private const float OaiAlpha = 1.702f;
    private const float OaiLimit = 7f;

    private static void SwigluOai(Span<float> gate, ReadOnlySpan<float> up)
    {
        for (var i = 0; i < gate.Length; i++)
        {
            var g = MathF.Min(gate[i], OaiLimit);
            var u = Math.Clamp(up[i], -OaiLimit, OaiLimit);
            gate[i] = g / (1f + MathF.Exp(-OaiAlpha * g)) * (u + 1f);
        }
    }
}
