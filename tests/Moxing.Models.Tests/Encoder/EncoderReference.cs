using Moxing.Core.Quantization;
using Moxing.Core.Tensors;

namespace Moxing.Models.Tests.Encoder;

/// <summary>
/// Where <see cref="EncoderReference"/> finds each weight ("{i}": the layer; ".weight"/".bias" appended), and which parts of the
/// architecture it computes: learned positions read from row <paramref name="PositionOffset"/> + t, or NEOX rotary positions of
/// base <paramref name="RopeBase"/>; fused or split q/k/v; SiLU-gated or GELU(erf) feed-forward.
/// </summary>
internal sealed record EncoderLayout(string Words, string? Positions, string TokenTypes, string EmbeddingNorm, string? Qkv, string[]? QueryKeyValue,
    string Output, string AttentionNorm, string? Gate, string Up, string Down, string OutputNorm, int PositionOffset = 0, double? RopeBase = null)
{
    /// <summary>llama.cpp's nomic-bert.</summary>
    public static EncoderLayout GgufNomicBert(double ropeBase) => new("token_embd", null, "token_types", "token_embd_norm", "blk.{i}.attn_qkv", null,
        "blk.{i}.attn_output", "blk.{i}.attn_output_norm", "blk.{i}.ffn_gate", "blk.{i}.ffn_up", "blk.{i}.ffn_down", "blk.{i}.layer_output_norm", RopeBase: ropeBase);

    /// <summary>transformers' BertModel with its tensors under <paramref name="prefix"/>, positions read from row <paramref name="positionOffset"/>.</summary>
    public static EncoderLayout HfBert(string prefix = "bert.", int positionOffset = 0) => new(prefix + "embeddings.word_embeddings",
        prefix + "embeddings.position_embeddings", prefix + "embeddings.token_type_embeddings", prefix + "embeddings.LayerNorm", null,
        [prefix + "encoder.layer.{i}.attention.self.query", prefix + "encoder.layer.{i}.attention.self.key", prefix + "encoder.layer.{i}.attention.self.value"],
        prefix + "encoder.layer.{i}.attention.output.dense", prefix + "encoder.layer.{i}.attention.output.LayerNorm", null,
        prefix + "encoder.layer.{i}.intermediate.dense", prefix + "encoder.layer.{i}.output.dense", prefix + "encoder.layer.{i}.output.LayerNorm",
        PositionOffset: positionOffset);

    /// <summary>transformers' RobertaModel with padding_idx <paramref name="padding"/>.</summary>
    public static EncoderLayout HfRoberta(int padding) => HfBert("roberta.", padding + 1);
}

/// <summary>
/// A post-norm BERT-style encoder written out in double precision from the reference code (transformers' BertModel/RobertaModel,
/// nomic-ai's NomicBertModel with rotary_emb_fraction 1, non-interleaved rotary and SwiGLU fc11 · silu(fc12)), token types as given
/// (0 by default).
/// </summary>
internal sealed class EncoderReference(ITensorSource source, EncoderLayout layout, int heads, double eps)
{
    private float[]? Find(string name)
    {
        if (source.Find(name) is not { } t) return null;
        var values = new float[t.ElementCount];
        Dequantizer.Dequantize(t.Type, t.Bytes, values);
        return values;
    }

    private float[] T(string name) => Find(name) ?? throw new InvalidOperationException($"tensor '{name}' is missing");

    private static string L(string pattern, int layer) => pattern.Replace("{i}", layer.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The last hidden state [n, hidden] of <paramref name="ids"/> of token types <paramref name="typeIds"/> (null: all 0).</summary>
    public double[][] Encode(int[] ids, int[]? typeIds = null)
    {
        var words = T(layout.Words + ".weight");
        var types = T(layout.TokenTypes + ".weight");
        var h = types.Length / (int)source.Find(layout.TokenTypes + ".weight")!.Shape[0];
        var positions = layout.Positions == null ? null : T(layout.Positions + ".weight");
        var x = new double[ids.Length][];
        for (var t = 0; t < ids.Length; t++)
        {
            x[t] = new double[h];
            for (var c = 0; c < h; c++)
                x[t][c] = words[(long)ids[t] * h + c] + types[(typeIds?[t] ?? 0) * h + c] + (positions == null ? 0 : positions[(long)(layout.PositionOffset + t) * h + c]);
            x[t] = LayerNorm(x[t], layout.EmbeddingNorm);
        }
        for (var i = 0; ; i++)
        {
            if (source.Find(L(layout.Output, i) + ".weight") == null) return x;
            x = Layer(x, i, h);
        }
    }

    private double[][] Layer(double[][] x, int i, int h)
    {
        int n = x.Length, hd = h / heads;
        var (q, k, v) = (new double[n][], new double[n][], new double[n][]);
        for (var t = 0; t < n; t++)
        {
            if (layout.Qkv != null)
            {
                var qkv = Affine(L(layout.Qkv, i), x[t]);
                (q[t], k[t], v[t]) = (qkv[..h], qkv[h..(2 * h)], qkv[(2 * h)..]);
            }
            else
            {
                (q[t], k[t], v[t]) = (Affine(L(layout.QueryKeyValue![0], i), x[t]), Affine(L(layout.QueryKeyValue[1], i), x[t]), Affine(L(layout.QueryKeyValue[2], i), x[t]));
            }
            if (layout.RopeBase is { } theta)
            {
                Rotate(q[t], t, hd, theta);
                Rotate(k[t], t, hd, theta);
            }
        }
        var next = new double[n][];
        for (var t = 0; t < n; t++)
        {
            var attention = new double[h];
            for (var head = 0; head < heads; head++)
            {
                var scores = new double[n];
                for (var j = 0; j < n; j++)
                {
                    double dot = 0;
                    for (var d = 0; d < hd; d++) dot += q[t][head * hd + d] * k[j][head * hd + d];
                    scores[j] = dot / Math.Sqrt(hd);
                }
                var max = scores.Max();
                var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
                var total = weights.Sum();
                for (var j = 0; j < n; j++)
                    for (var d = 0; d < hd; d++) attention[head * hd + d] += weights[j] / total * v[j][head * hd + d];
            }
            var projected = Affine(L(layout.Output, i), attention);
            var y = LayerNorm(x[t].Zip(projected, (a, b) => a + b).ToArray(), L(layout.AttentionNorm, i));
            var up = Affine(L(layout.Up, i), y);
            double[] inner;
            if (layout.Gate != null)
            {
                var gate = Affine(L(layout.Gate, i), y);
                inner = gate.Zip(up, (g, u) => g / (1 + Math.Exp(-g)) * u).ToArray();
            }
            else
            {
                inner = up.Select(u => 0.5 * u * (1 + Erf(u / Math.Sqrt(2)))).ToArray();
            }
            var down = Affine(L(layout.Down, i), inner);
            next[t] = LayerNorm(y.Zip(down, (a, b) => a + b).ToArray(), L(layout.OutputNorm, i));
        }
        return next;
    }

    // Non-interleaved rotary over the whole head: dimension d pairs with d + hd/2, frequency base^(−2d/hd).
    private static void Rotate(double[] x, int position, int hd, double theta)
    {
        for (var head = 0; head < x.Length / hd; head++)
            for (var d = 0; d < hd / 2; d++)
            {
                var angle = position * Math.Pow(theta, -2.0 * d / hd);
                double a = x[head * hd + d], b = x[head * hd + d + hd / 2];
                x[head * hd + d] = a * Math.Cos(angle) - b * Math.Sin(angle);
                x[head * hd + d + hd / 2] = b * Math.Cos(angle) + a * Math.Sin(angle);
            }
    }

    /// <summary>
    /// A sequence-classification head on the first token of <paramref name="hidden"/>: <paramref name="dense"/> and tanh when given
    /// (BertPooler, RobertaClassificationHead.dense), then <paramref name="output"/> — transformers' *ForSequenceClassification logits.
    /// </summary>
    public double[] Classify(double[][] hidden, string? dense, string output, bool tanh = true)
    {
        var x = hidden[0];
        if (dense != null) x = Affine(dense, x).Select(v => tanh ? Math.Tanh(v) : v).ToArray();
        return Affine(output, x);
    }

    private double[] Affine(string prefix, double[] x)
    {
        var w = T(prefix + ".weight");
        var b = Find(prefix + ".bias");
        var rows = w.Length / x.Length;
        var y = new double[rows];
        for (var r = 0; r < rows; r++)
        {
            double sum = b?[r] ?? 0;
            for (var c = 0; c < x.Length; c++) sum += w[(long)r * x.Length + c] * x[c];
            y[r] = sum;
        }
        return y;
    }

    private double[] LayerNorm(double[] x, string prefix)
    {
        var (w, b) = (T(prefix + ".weight"), T(prefix + ".bias"));
        var mean = x.Average();
        var variance = x.Select(v => (v - mean) * (v - mean)).Average();
        var scale = 1 / Math.Sqrt(variance + eps);
        return x.Select((v, c) => (v - mean) * scale * w[c] + b[c]).ToArray();
    }

    private static double Erf(double x) => 1 - Erfc(x);

    private static double Erfc(double x)
    {
        // Numerical Recipes' erfc (Chebyshev fit), relative error < 1.2e-7 everywhere.
        var z = Math.Abs(x);
        var t = 1 / (1 + 0.5 * z);
        var r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807
            + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}
