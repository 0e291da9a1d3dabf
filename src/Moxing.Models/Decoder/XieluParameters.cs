namespace Moxing.Models.Decoder;

/// <summary>
/// One layer's xIELU activation (Apertus) as its checkpoint stores it: alpha_p and alpha_n before their softplus, beta and eps.
/// x &gt; 0: softplus(alpha_p)·x² + beta·x; else (expm1(min(x, eps)) − x)·(beta + softplus(alpha_n)) + beta·x (transformers'
/// XIELUActivation, llama.cpp's ggml_xielu).
/// </summary>
public sealed record XieluParameters(float AlphaP, float AlphaN, float Beta, float Eps)
{
    /// <summary>Applies the activation to <paramref name="x"/> in place.</summary>
    public void Apply(Span<float> x)
    {
        float p = Softplus(AlphaP), n = Beta + Softplus(AlphaN), beta = Beta, eps = Eps;
        for (var i = 0; i < x.Length; i++)
        {
            var v = x[i];
            x[i] = v > 0 ? p * v * v + beta * v : (MathF.Exp(MathF.Min(v, eps)) - 1 - v) * n + beta * v;
        }
    }

    // log(1 + e^x), without overflow for large x.
    private static float Softplus(float x) => x > 20 ? x : MathF.Log(1 + MathF.Exp(x));
}
