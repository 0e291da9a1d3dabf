using System.Numerics;

namespace Moxing.Core.Ops;

/// <summary>
/// Exact GELU x·Φ(x) = x/2·(1 + erf(x/√2)) and its gradient over spans, vectorized, with a float erf within 3 ulp
/// (1.2e-7 absolute) of the true value: training spent most of a GPT step in a scalar double erf before.
/// </summary>
public static class GeluErf
{
    private const float InvSqrt2 = 0.70710678118654752f;
    private const float InvSqrt2Pi = 0.39894228040143268f;

    // Below Split: erf(x) = x·P(x²); above: erf(t) = 1 − exp(Q(t)), t clamped to 4 where erf rounds to 1 in float.
    // Minimax fits (relative error 1.9e-8 for P on [0, Split], absolute 1.2e-8 for Q = log erfc on [Split, 4]).
    private const float Split = 0.9375f;
    private static readonly float[] P = [1.128379145889988f, -0.37612468811795263f, 0.11281553569772894f, -0.026757062568736115f, 0.004979161220258587f, -0.0005919543670048637f];
    private static readonly float[] Q = [0.00029422322356694873f, -1.130131307113804f, -0.6319956211613955f, -0.10992493209178388f, 0.026335408803443584f,
        -0.004730239423155014f, 0.0005907068232882608f, -4.535365204428092e-05f, 1.6024459837074893e-06f];

    /// <summary>erf of each lane.</summary>
    public static Vector<float> Erf(Vector<float> x)
    {
        var t = Vector.Abs(x);
        var near = t * Horner(P, t * t);
        var far = Vector<float>.One - Vector.Exp(Horner(Q, Vector.Min(t, new Vector<float>(4f))));
        var magnitude = Vector.ConditionalSelect(Vector.LessThanOrEqual(t, new Vector<float>(Split)), near, far);
        // x's sign bit onto |erf| (the mask is the sign bit alone); a NaN lane stays NaN.
        var signed = Vector.ConditionalSelect(new Vector<float>(-0f), x, magnitude);
        return Vector.ConditionalSelect(Vector.Equals(x, x), signed, x);
    }

    /// <summary>y = GELU(x); <paramref name="y"/> may be <paramref name="x"/>.</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        if (y.Length != x.Length) throw new ArgumentException($"x and y differ in length ({x.Length}, {y.Length})", nameof(y));
        Map<Value>(x, x, y);
    }

    /// <summary>dx += upstream · GELU′(x), with GELU′(x) = Φ(x) + x·φ(x).</summary>
    public static void AccumulateGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> upstream, Span<float> dx)
    {
        if (upstream.Length != x.Length || dx.Length != x.Length)
            throw new ArgumentException($"x, upstream and dx differ in length ({x.Length}, {upstream.Length}, {dx.Length})");
        Map<Gradient>(x, upstream, dx);
    }

    private interface ILanes
    {
        // The new value of c's lanes from x's, b's and c's.
        static abstract Vector<float> Apply(Vector<float> x, Vector<float> b, Vector<float> c);
    }

    private readonly struct Value : ILanes
    {
        public static Vector<float> Apply(Vector<float> x, Vector<float> b, Vector<float> c) =>
            new Vector<float>(0.5f) * x * (Vector<float>.One + Erf(x * new Vector<float>(InvSqrt2)));
    }

    private readonly struct Gradient : ILanes
    {
        public static Vector<float> Apply(Vector<float> x, Vector<float> b, Vector<float> c)
        {
            var cdf = new Vector<float>(0.5f) * (Vector<float>.One + Erf(x * new Vector<float>(InvSqrt2)));
            var pdf = new Vector<float>(InvSqrt2Pi) * Vector.Exp(new Vector<float>(-0.5f) * x * x);
            return c + b * (cdf + x * pdf);
        }
    }

    // c = TLanes(x, b, c) a vector at a time; the last partial vector goes through a zero-padded copy.
    private static void Map<TLanes>(ReadOnlySpan<float> x, ReadOnlySpan<float> b, Span<float> c) where TLanes : struct, ILanes
    {
        var w = Vector<float>.Count;
        var i = 0;
        for (; i <= x.Length - w; i += w)
            TLanes.Apply(new Vector<float>(x[i..]), new Vector<float>(b[i..]), new Vector<float>(c[i..])).CopyTo(c[i..]);
        if (i == x.Length) return;
        var rest = x.Length - i;
        Span<float> tail = stackalloc float[3 * w];
        tail.Clear();
        x[i..].CopyTo(tail);
        b[i..].CopyTo(tail[w..]);
        c[i..].CopyTo(tail[(2 * w)..]);
        TLanes.Apply(new Vector<float>(tail), new Vector<float>(tail[w..]), new Vector<float>(tail[(2 * w)..])).CopyTo(tail);
        tail[..rest].CopyTo(c[i..]);
    }

    private static Vector<float> Horner(float[] coefficients, Vector<float> x)
    {
        var r = new Vector<float>(coefficients[^1]);
        for (var k = coefficients.Length - 2; k >= 0; k--) r = Vector.FusedMultiplyAdd(r, x, new Vector<float>(coefficients[k]));
        return r;
    }
}
