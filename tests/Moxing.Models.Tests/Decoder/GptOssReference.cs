using Moxing.Core.Formats.Gguf;
using Moxing.Core.Quantization;
using Moxing.Models.Decoder;

namespace Moxing.Models.Tests.Decoder;

/// <summary>Which parts of gpt-oss <see cref="GptOssReference"/> computes as the model has them (false: a wrong variant).</summary>
internal sealed record GptOssVariant(bool Sinks = true, bool SoftmaxOfTopK = true);

/// <summary>
/// gpt-oss's forward pass written out in double precision from the GGUF's tensors (llama.cpp's openai-moe graph, token by
/// token): biased q/k/v/o, NEOX RoPE from the schedule's frequencies, a window on even layers, one sink logit per head in the
/// softmax denominator, router top-k then softmax over the chosen logits, biased experts with the clamped SwiGLU.
/// </summary>
internal sealed class GptOssReference(GgufFile file, DecoderOptions o)
{
    private float[] T(string name)
    {
        var t = file.Find(name) ?? throw new InvalidOperationException($"tensor '{name}' is missing");
        var values = new float[t.ElementCount];
        Dequantizer.Dequantize(t.Type, t.Bytes, values);
        return values;
    }

    // y = W x + b for W [rows, cols] starting at element `offset` of w.
    private static double[] Affine(float[] w, float[]? b, double[] x, int rows, long offset = 0, int biasOffset = 0)
    {
        var y = new double[rows];
        for (var r = 0; r < rows; r++)
        {
            double sum = b == null ? 0 : b[biasOffset + r];
            for (var c = 0; c < x.Length; c++) sum += w[offset + (long)r * x.Length + c] * x[c];
            y[r] = sum;
        }
        return y;
    }

    private double[] RmsNorm(double[] x, float[] w)
    {
        var scale = 1 / Math.Sqrt(x.Sum(v => v * v) / x.Length + o.NormEps);
        return x.Select((v, i) => v * scale * w[i]).ToArray();
    }

    private void Rotate(double[] heads, int position)
    {
        var rope = o.Rope!;
        var inverse = rope.InverseFrequencies();
        int hd = o.HeadDim, half = rope.RotaryDim / 2;
        for (var h = 0; h < heads.Length / hd; h++)
            for (var i = 0; i < half; i++)
            {
                double cos = Math.Cos(position * inverse[i]) * rope.CosSinScale, sin = Math.Sin(position * inverse[i]) * rope.CosSinScale;
                double a = heads[h * hd + i], b = heads[h * hd + i + half];
                heads[h * hd + i] = a * cos - b * sin;
                heads[h * hd + i + half] = b * cos + a * sin;
            }
    }

    /// <summary>The logits of every token of <paramref name="ids"/> ([n, vocab]).</summary>
    public float[] Logits(int[] ids, GptOssVariant variant)
    {
        int h = o.HiddenSize, hd = o.HeadDim, heads = o.HeadCount, kvHeads = o.KvHeadCount, n = ids.Length;
        var moe = o.Moe!;
        int experts = moe.ExpertCount, ff = moe.ExpertFeedForward;
        var embedding = T("token_embd.weight");
        var x = ids.Select(id => embedding.AsSpan(id * h, h).ToArray().Select(v => (double)v).ToArray()).ToArray();
        for (var l = 0; l < o.LayerCount; l++)
        {
            var p = $"blk.{l}.";
            var (norm, sinks) = (T(p + "attn_norm.weight"), T(p + "attn_sinks.weight"));
            var (wq, wk, wv, wo) = (T(p + "attn_q.weight"), T(p + "attn_k.weight"), T(p + "attn_v.weight"), T(p + "attn_output.weight"));
            var (bq, bk, bv, bo) = (T(p + "attn_q.bias"), T(p + "attn_k.bias"), T(p + "attn_v.bias"), T(p + "attn_output.bias"));
            var q = new double[n][];
            var k = new double[n][];
            var v = new double[n][];
            for (var t = 0; t < n; t++)
            {
                var xn = RmsNorm(x[t], norm);
                (q[t], k[t], v[t]) = (Affine(wq, bq, xn, heads * hd), Affine(wk, bk, xn, kvHeads * hd), Affine(wv, bv, xn, kvHeads * hd));
                Rotate(q[t], t);
                Rotate(k[t], t);
            }
            var window = l % 2 == 0 ? o.WindowOf(0) : 0;
            for (var t = 0; t < n; t++)
            {
                var attended = new double[heads * hd];
                var first = window > 0 ? Math.Max(0, t - window + 1) : 0;
                for (var head = 0; head < heads; head++)
                {
                    var g = head / (heads / kvHeads);
                    var scores = Enumerable.Range(first, t - first + 1)
                        .Select(j => Enumerable.Range(0, hd).Sum(d => q[t][head * hd + d] * k[j][g * hd + d]) / Math.Sqrt(hd)).ToArray();
                    var max = scores.Max();
                    var denominator = scores.Sum(s => Math.Exp(s - max)) + (variant.Sinks ? Math.Exp(sinks[head] - max) : 0);
                    for (var j = first; j <= t; j++)
                        for (var d = 0; d < hd; d++)
                            attended[head * hd + d] += Math.Exp(scores[j - first] - max) / denominator * v[j][g * hd + d];
                }
                var projected = Affine(wo, bo, attended, h);
                for (var i = 0; i < h; i++) x[t][i] += projected[i];
            }
            var (post, router, routerBias) = (T(p + "post_attention_norm.weight"), T(p + "ffn_gate_inp.weight"), T(p + "ffn_gate_inp.bias"));
            var (gate, up, down) = (T(p + "ffn_gate_exps.weight"), T(p + "ffn_up_exps.weight"), T(p + "ffn_down_exps.weight"));
            var (gateBias, upBias, downBias) = (T(p + "ffn_gate_exps.bias"), T(p + "ffn_up_exps.bias"), T(p + "ffn_down_exps.bias"));
            for (var t = 0; t < n; t++)
            {
                var xn = RmsNorm(x[t], post);
                var logits = Affine(router, routerBias, xn, experts);
                var chosen = Enumerable.Range(0, experts).OrderByDescending(e => logits[e]).ThenBy(e => e).Take(moe.ExpertsUsed).ToArray();
                var weights = Weights(logits, chosen, variant.SoftmaxOfTopK);
                var output = new double[h];
                for (var j = 0; j < chosen.Length; j++)
                {
                    var e = chosen[j];
                    var g = Affine(gate, gateBias, xn, ff, (long)e * ff * h, e * ff);
                    var u = Affine(up, upBias, xn, ff, (long)e * ff * h, e * ff);
                    var a = g.Select((gv, i) => Swiglu(gv, u[i])).ToArray();
                    var y = Affine(down, downBias, a, h, (long)e * h * ff, e * h);
                    for (var i = 0; i < h; i++) output[i] += weights[j] * y[i];
                }
                for (var i = 0; i < h; i++) x[t][i] += output[i];
            }
        }
        var (finalNorm, lmHead) = (T("output_norm.weight"), T("output.weight"));
        return x.SelectMany(row => Affine(lmHead, null, RmsNorm(row, finalNorm), o.VocabSize)).Select(v => (float)v).ToArray();
    }

    // Softmax over the chosen logits, or (the wrong order) the chosen entries of a softmax over every expert, not renormalised.
    private static double[] Weights(double[] logits, int[] chosen, bool softmaxOfTopK)
    {
        var max = logits.Max();
        var over = softmaxOfTopK ? chosen.Select(e => logits[e]).ToArray() : logits;
        var sum = over.Sum(l => Math.Exp(l - max));
        return chosen.Select(e => Math.Exp(logits[e] - max) / sum).ToArray();
    }

    private static double Swiglu(double g, double u)
    {
        (g, u) = (Math.Min(g, 7), Math.Clamp(u, -7, 7));
        return g / (1 + Math.Exp(-1.702 * g)) * (u + 1);
    }
}
