using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
    /// <summary>x · sigmoid(1.702 x) (quick_gelu: OpenAI CLIP's vision towers, LLaVA's).</summary>
    GeluQuick,
    /// <summary>max(0, x)² (Nemotron's relu2, llama.cpp's LLM_FFN_RELU_SQR).</summary>
    ReluSquared,
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
        var max = TensorPrimitives.Max(x);
        TensorPrimitives.Divide(x, Vector256.IsHardwareAccelerated && x.Length >= Vector256<float>.Count ? ExpSum(x, max) : ExpSumScalar(x, max), x);
    }

    // x = exp(x − max), returning Σ x: one pass of 256-bit vectors (attention rows are short, so passes and calls, not the
    // exponentials, were most of a softmax in five library calls); the last vector overlaps the one before it and adds only
    // its new lanes.
    private static float ExpSum(Span<float> x, float max)
    {
        ref var at = ref MemoryMarshal.GetReference(x);
        int width = Vector256<float>.Count, last = x.Length - width;
        var shift = Vector256.Create(max);
        var tail = Vector256.LoadUnsafe(ref at, (nuint)last);
        var sum = Vector256<float>.Zero;
        for (var i = 0; i < last; i += width)
        {
            var e = Vector256.Exp(Vector256.LoadUnsafe(ref at, (nuint)i) - shift);
            e.StoreUnsafe(ref at, (nuint)i);
            sum += e;
        }
        var done = last % width == 0 ? last : last - last % width + width;
        var fresh = Vector256.GreaterThanOrEqual(Vector256.Create(0f, 1, 2, 3, 4, 5, 6, 7), Vector256.Create((float)(done - last)));
        tail = Vector256.Exp(tail - shift);
        tail.StoreUnsafe(ref at, (nuint)last);
        return Vector256.Sum(sum + (tail & fresh));
    }

    private static float ExpSumScalar(Span<float> x, float max)
    {
        var sum = 0f;
        for (var i = 0; i < x.Length; i++) sum += x[i] = MathF.Exp(x[i] - max);
        return sum;
    }

    /// <summary>Applies <paramref name="kind"/> to every element of <paramref name="x"/> in place.</summary>
    public static void Apply(Activation kind, Span<float> x)
    {
        switch (kind)
        {
            case Activation.Silu:
                Map<Silu>(x, default);
                break;
            case Activation.GeluTanh:
                Map<GeluTanh>(x, default);
                break;
            case Activation.GeluErf:
                GeluErf.Forward(x, x);
                break;
            case Activation.Relu:
                TensorPrimitives.Max(x, 0f, x);
                break;
            case Activation.GeluQuick:
                Map<GeluQuick>(x, default);
                break;
            case Activation.ReluSquared:
                TensorPrimitives.Max(x, 0f, x);
                TensorPrimitives.Multiply(x, x, x);
                break;
            case Activation.SwigluOai:
                throw new ArgumentException("the clamped SwiGLU of gpt-oss exists only in the gated form", nameof(kind));
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    /// <summary>gate = act(gate) · up, element-wise (SwiGLU, GeGLU, gpt-oss's clamped SwiGLU).</summary>
    public static void Gated(Activation kind, Span<float> gate, ReadOnlySpan<float> up)
    {
        if (up.Length < gate.Length) throw new ArgumentException($"up holds {up.Length} values for {gate.Length} gates", nameof(up));
        switch (kind)
        {
            case Activation.Silu:
                Map<Silu>(gate, up);
                break;
            case Activation.GeluTanh:
                Map<GeluTanh>(gate, up);
                break;
            case Activation.SwigluOai:
                Map<ClampedSwiglu>(gate, up);
                break;
            default:
                Apply(kind, gate);
                TensorPrimitives.Multiply(gate, up, gate);
                break;
        }
    }

    // x = f(x, up) in vectors of 16 and 8 with one exp each (Vector512/256.Exp), the tail as scalars; without `up` (empty)
    // the gated forms' factor is 1, which multiplies exactly. A scalar exp per element was ~3 % of a decode step.
    private static void Map<T>(Span<float> x, ReadOnlySpan<float> up) where T : struct, IElementwise
    {
        ref var p = ref MemoryMarshal.GetReference(x);
        ref var u = ref MemoryMarshal.GetReference(up);
        var gated = !up.IsEmpty;
        nuint n = (nuint)x.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16)
                T.Invoke(Vector512.LoadUnsafe(ref p, i), gated ? Vector512.LoadUnsafe(ref u, i) : Vector512<float>.One).StoreUnsafe(ref p, i);
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8)
                T.Invoke(Vector256.LoadUnsafe(ref p, i), gated ? Vector256.LoadUnsafe(ref u, i) : Vector256<float>.One).StoreUnsafe(ref p, i);
        for (; i < n; i++)
            Unsafe.Add(ref p, i) = T.Invoke(Unsafe.Add(ref p, i), gated ? Unsafe.Add(ref u, i) : 1f);
    }

    // An element-wise f(x, up) at three widths; the same formula at each.
    private interface IElementwise
    {
        static abstract float Invoke(float x, float up);
        static abstract Vector256<float> Invoke(Vector256<float> x, Vector256<float> up);
        static abstract Vector512<float> Invoke(Vector512<float> x, Vector512<float> up);
    }

    // x · sigmoid(x) · up
    private readonly struct Silu : IElementwise
    {
        public static float Invoke(float x, float up) => x / (1f + MathF.Exp(-x)) * up;
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> up) => x / (Vector256<float>.One + Vector256.Exp(-x)) * up;
        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> up) => x / (Vector512<float>.One + Vector512.Exp(-x)) * up;
    }

    // 0.5 x (1 + tanh z) = x · sigmoid(2z), z = √(2/π) (x + 0.044715 x³): one exp, no overflow to NaN (exp(∞) gives x / ∞ = 0)
    private readonly struct GeluTanh : IElementwise
    {
        private const float Scale = -2 * SqrtTwoOverPi;
        private const float Cubic = 0.044715f;

        public static float Invoke(float x, float up) => x / (1f + MathF.Exp(Scale * (x + Cubic * x * x * x))) * up;
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> up) =>
            x / (Vector256<float>.One + Vector256.Exp(Scale * (x + Cubic * x * x * x))) * up;
        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> up) =>
            x / (Vector512<float>.One + Vector512.Exp(Scale * (x + Cubic * x * x * x))) * up;
    }

    // x · sigmoid(1.702 x)
    private readonly struct GeluQuick : IElementwise
    {
        private const float Scale = -1.702f;

        public static float Invoke(float x, float up) => x / (1f + MathF.Exp(Scale * x)) * up;
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> up) => x / (Vector256<float>.One + Vector256.Exp(Scale * x)) * up;
        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> up) => x / (Vector512<float>.One + Vector512.Exp(Scale * x)) * up;
    }

    // gpt-oss's constants (transformers' GptOssExperts alpha and limit; llama.cpp hard-codes the same).
    private const float OaiAlpha = 1.702f;
    private const float OaiLimit = 7f;

    // g = min(x, 7), u = clamp(up, −7, 7): g · sigmoid(1.702 g) · (u + 1)
    private readonly struct ClampedSwiglu : IElementwise
    {
        public static float Invoke(float x, float up)
        {
            var g = MathF.Min(x, OaiLimit);
            return g / (1f + MathF.Exp(-OaiAlpha * g)) * (Math.Clamp(up, -OaiLimit, OaiLimit) + 1f);
        }

        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> up)
        {
            var g = Vector256.Min(x, Vector256.Create(OaiLimit));
            var u = Vector256.Clamp(up, Vector256.Create(-OaiLimit), Vector256.Create(OaiLimit));
            return g / (Vector256<float>.One + Vector256.Exp(-OaiAlpha * g)) * (u + Vector256<float>.One);
        }

        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> up)
        {
            var g = Vector512.Min(x, Vector512.Create(OaiLimit));
            var u = Vector512.Clamp(up, Vector512.Create(-OaiLimit), Vector512.Create(OaiLimit));
            return g / (Vector512<float>.One + Vector512.Exp(-OaiAlpha * g)) * (u + Vector512<float>.One);
        }
    }
}
