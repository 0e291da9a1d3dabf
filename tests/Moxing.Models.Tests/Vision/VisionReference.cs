using Moxing.Models.Vision;

namespace Moxing.Models.Tests.Vision;

/// <summary>
/// transformers' vision towers and projectors in double precision over <see cref="TinyVisionFolder"/>'s weights: the patch convolution and
/// learned positions; CLIPVisionModel's class token (first, position 0) and pre_layrnorm; pre-norm blocks of LayerNorm, biased attention
/// over every token and an MLP (gelu_pytorch_tanh, CLIP's quick_gelu); then Gemma 3 (post_layernorm, AvgPool2d, Gemma3RMSNorm, matmul by
/// mm_input_projection_weight), LLaVA (hidden_states[vision_feature_layer = −2], class token dropped, linear_1, GELU (erf), linear_2) or
/// Idefics3 (post_layernorm, Idefics3Connector.pixel_shuffle as its view/permute steps, proj). <c>drop</c> leaves out "pool" (every patch
/// kept), "soft_norm", "class_token" (patches at positions 1… and no class token), "feature_layer" (every block run), "pre_norm" or
/// "pixel_shuffle" (patches' features stacked in sequence order).
/// </summary>
internal sealed class VisionReference(TinyVisionFolder folder)
{
    private const int S = TinyVisionFolder.ImageSize, P = TinyVisionFolder.PatchSize, H = TinyVisionFolder.Hidden, Side = TinyVisionFolder.Side;
    private readonly Dictionary<string, float[]> w = folder.Weights;

    /// <summary>The projected embeddings [tokens][text hidden] of pixels [3, S, S].</summary>
    public double[][] Forward(float[] pixels, string? drop = null)
    {
        var kind = folder.Kind;
        var clip = kind == VisionProjector.Mlp;
        var classToken = clip && drop != "class_token";
        var first = classToken ? 1 : 0;
        var patch = w["tower.embeddings.patch_embedding.weight"];
        var positions = w["tower.embeddings.position_embedding.weight"];
        var x = new double[Side * Side + first][];
        if (classToken) x[0] = Enumerable.Range(0, H).Select(o => (double)w["tower.embeddings.class_embedding"][o] + positions[o]).ToArray();
        for (var py = 0; py < Side; py++)
            for (var px = 0; px < Side; px++)
            {
                var row = new double[H];
                var token = py * Side + px + (clip ? 1 : 0);
                for (var o = 0; o < H; o++)
                {
                    double sum = clip ? 0 : w["tower.embeddings.patch_embedding.bias"][o];
                    for (var c = 0; c < 3; c++)
                        for (var ky = 0; ky < P; ky++)
                            for (var kx = 0; kx < P; kx++)
                                sum += (double)patch[((o * 3 + c) * P + ky) * P + kx] * pixels[(c * S + py * P + ky) * S + px * P + kx];
                    row[o] = sum + positions[token * H + o];
                }
                x[py * Side + px + first] = row;
            }
        if (clip && drop != "pre_norm") x = x.Select(r => LayerNorm(r, "tower.pre_layrnorm")).ToArray();
        // LLaVA: hidden_states[-2], the output of all blocks but the last.
        var blocks = clip && drop != "feature_layer" ? folder.Layers - 1 : folder.Layers;
        for (var l = 0; l < blocks; l++) x = Block(x, $"tower.encoder.layers.{l}.", clip ? QuickGelu : GeluTanh);
        return kind switch
        {
            VisionProjector.Gemma3 => Gemma3(x.Select(r => LayerNorm(r, "tower.post_layernorm")).ToArray(), drop),
            VisionProjector.Mlp => x.Skip(first).Select(r => Affine("projector.linear_2", Affine("projector.linear_1", r).Select(GeluErf).ToArray())).ToArray(),
            _ => Idefics3(x.Select(r => LayerNorm(r, "tower.post_layernorm")).ToArray(), drop),
        };
    }

    private double[][] Block(double[][] x, string p, Func<double, double> act)
    {
        var normed = x.Select(r => LayerNorm(r, p + "layer_norm1")).ToArray();
        var q = normed.Select(r => Affine(p + "self_attn.q_proj", r)).ToArray();
        var k = normed.Select(r => Affine(p + "self_attn.k_proj", r)).ToArray();
        var v = normed.Select(r => Affine(p + "self_attn.v_proj", r)).ToArray();
        for (var t = 0; t < x.Length; t++)
        {
            var attended = Affine(p + "self_attn.out_proj", Attend(q[t], k, v, TinyVisionFolder.Heads));
            for (var d = 0; d < H; d++) x[t][d] += attended[d];
        }
        for (var t = 0; t < x.Length; t++)
        {
            var mlp = Affine(p + "mlp.fc2", Affine(p + "mlp.fc1", LayerNorm(x[t], p + "layer_norm2")).Select(act).ToArray());
            for (var d = 0; d < H; d++) x[t][d] += mlp[d];
        }
        return x;
    }

    private double[][] Gemma3(double[][] x, string? drop)
    {
        var pooled = drop == "pool" ? x : Pool(x);
        var projection = w["projector.mm_input_projection_weight"];
        const int text = TinyVisionFolder.TextHidden;
        return pooled.Select(r =>
        {
            var n = drop == "soft_norm" ? r : SoftNorm(r);
            return Enumerable.Range(0, text).Select(j => Enumerable.Range(0, H).Sum(i => n[i] * projection[i * text + j])).ToArray();
        }).ToArray();
    }

    // AvgPool2d(kernel = stride = 2) over the [hidden, Side, Side] grid, flattened row by row.
    private static double[][] Pool(double[][] x)
    {
        const int k = 2, tokensSide = Side / k;
        var pooled = new double[tokensSide * tokensSide][];
        for (var ty = 0; ty < tokensSide; ty++)
            for (var tx = 0; tx < tokensSide; tx++)
                pooled[ty * tokensSide + tx] = Enumerable.Range(0, H).Select(d =>
                    Enumerable.Range(0, k * k).Average(i => x[(ty * k + i / k) * Side + tx * k + i % k][d])).ToArray();
        return pooled;
    }

    // Idefics3Connector: pixel_shuffle(x, 2) — view (h, w, d), view (h, w/s, d·s), permute(0, 2, 1, 3), reshape (w/s, h/s, d·s²),
    // permute(0, 2, 1, 3), reshape (seq/s², d·s²) — then modality_projection (no bias).
    private double[][] Idefics3(double[][] x, string? drop)
    {
        const int s = 2, tokens = Side * Side / (s * s), width = H * s * s;
        var flat = x.SelectMany(r => r).ToArray();
        if (drop != "pixel_shuffle")
        {
            // a [h][w/s][d·s] view of the flat rows, permuted to [w/s][h][d·s]
            var permuted = new double[flat.Length];
            for (var h = 0; h < Side; h++)
                for (var w2 = 0; w2 < Side / s; w2++)
                    for (var k = 0; k < H * s; k++) permuted[(w2 * Side + h) * H * s + k] = flat[(h * (Side / s) + w2) * H * s + k];
            // viewed as [w/s][h/s][d·s²] and permuted to [h/s][w/s][d·s²]
            for (var w2 = 0; w2 < Side / s; w2++)
                for (var h2 = 0; h2 < Side / s; h2++)
                    for (var m = 0; m < width; m++) flat[(h2 * (Side / s) + w2) * width + m] = permuted[(w2 * (Side / s) + h2) * width + m];
        }
        var weight = w["projector.modality_projection.proj.weight"];
        return Enumerable.Range(0, tokens).Select(t => Enumerable.Range(0, TinyVisionFolder.TextHidden)
            .Select(o => Enumerable.Range(0, width).Sum(i => weight[o * width + i] * flat[t * width + i])).ToArray()).ToArray();
    }

    private double[] SoftNorm(double[] r)
    {
        var inv = 1 / Math.Sqrt(r.Average(v => v * v) + 1e-6);
        var weight = w["projector.mm_soft_emb_norm.weight"];
        return r.Select((v, i) => v * inv * (1 + weight[i])).ToArray();
    }

    /// <summary>Softmax attention of query row <paramref name="q"/> over the rows of <paramref name="k"/> and <paramref name="v"/>, head by head.</summary>
    internal static double[] Attend(double[] q, double[][] k, double[][] v, int heads)
    {
        int width = q.Length, hd = width / heads;
        var output = new double[width];
        for (var h = 0; h < heads; h++)
        {
            var scores = k.Select(kr => Enumerable.Range(0, hd).Sum(d => q[h * hd + d] * kr[h * hd + d]) / Math.Sqrt(hd)).ToArray();
            var max = scores.Max();
            var sum = scores.Sum(s => Math.Exp(s - max));
            for (var j = 0; j < k.Length; j++)
                for (var d = 0; d < hd; d++) output[h * hd + d] += Math.Exp(scores[j] - max) / sum * v[j][h * hd + d];
        }
        return output;
    }

    private double[] LayerNorm(double[] r, string name)
    {
        var eps = folder.Kind == VisionProjector.Mlp ? 1e-5 : 1e-6;
        var mean = r.Average();
        var inv = 1 / Math.Sqrt(r.Average(v => (v - mean) * (v - mean)) + eps);
        return r.Select((v, i) => (v - mean) * inv * w[name + ".weight"][i] + w[name + ".bias"][i]).ToArray();
    }

    private double[] Affine(string name, double[] r)
    {
        var weight = w[name + ".weight"];
        var bias = w[name + ".bias"];
        var cols = r.Length;
        return Enumerable.Range(0, bias.Length).Select(o => bias[o] + Enumerable.Range(0, cols).Sum(i => weight[o * cols + i] * r[i])).ToArray();
    }

    private static double GeluTanh(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

    private static double QuickGelu(double x) => x / (1 + Math.Exp(-1.702 * x));

    private static double GeluErf(double x) => 0.5 * x * (1 + Moxing.Core.Tests.Ops.ReferenceErf.Erf(x / Math.Sqrt(2)));
}
