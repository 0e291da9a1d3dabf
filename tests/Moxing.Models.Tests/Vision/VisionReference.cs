namespace Moxing.Models.Tests.Vision;

/// <summary>
/// transformers' SiglipVisionModel (patch convolution, learned positions, pre-norm blocks of LayerNorm, biased attention over every
/// patch and a gelu_pytorch_tanh MLP, post_layernorm) and Gemma3MultiModalProjector (AvgPool2d over the patch grid, Gemma3RMSNorm,
/// matmul by mm_input_projection_weight) in double precision over <see cref="TinyVisionFolder"/>'s weights. <c>drop</c> leaves out
/// "pool" (every patch kept, tokens = patches) or "soft_norm".
/// </summary>
internal sealed class VisionReference(Dictionary<string, float[]> w)
{
    private const int S = TinyVisionFolder.ImageSize, P = TinyVisionFolder.PatchSize, H = TinyVisionFolder.Hidden, Side = S / P;

    /// <summary>The projected embeddings [tokens][text hidden] of pixels [3, S, S].</summary>
    public double[][] Forward(float[] pixels, string? drop = null)
    {
        var patch = w["tower.embeddings.patch_embedding.weight"];
        var x = new double[Side * Side][];
        for (var py = 0; py < Side; py++)
            for (var px = 0; px < Side; px++)
            {
                var row = new double[H];
                for (var o = 0; o < H; o++)
                {
                    double sum = w["tower.embeddings.patch_embedding.bias"][o];
                    for (var c = 0; c < 3; c++)
                        for (var ky = 0; ky < P; ky++)
                            for (var kx = 0; kx < P; kx++)
                                sum += (double)patch[((o * 3 + c) * P + ky) * P + kx] * pixels[(c * S + py * P + ky) * S + px * P + kx];
                    row[o] = sum + w["tower.embeddings.position_embedding.weight"][(py * Side + px) * H + o];
                }
                x[py * Side + px] = row;
            }
        for (var l = 0; l < TinyVisionFolder.Layers; l++)
        {
            var p = $"tower.encoder.layers.{l}.";
            var normed = x.Select(r => LayerNorm(r, p + "layer_norm1")).ToArray();
            var q = normed.Select(r => Affine(p + "self_attn.q_proj", r)).ToArray();
            var k = normed.Select(r => Affine(p + "self_attn.k_proj", r)).ToArray();
            var v = normed.Select(r => Affine(p + "self_attn.v_proj", r)).ToArray();
            for (var t = 0; t < x.Length; t++)
            {
                var attended = Affine(p + "self_attn.out_proj", Attend(q[t], k, v));
                for (var d = 0; d < H; d++) x[t][d] += attended[d];
            }
            for (var t = 0; t < x.Length; t++)
            {
                var inner = Affine(p + "mlp.fc1", LayerNorm(x[t], p + "layer_norm2")).Select(GeluTanh).ToArray();
                var mlp = Affine(p + "mlp.fc2", inner);
                for (var d = 0; d < H; d++) x[t][d] += mlp[d];
            }
        }
        x = x.Select(r => LayerNorm(r, "tower.post_layernorm")).ToArray();
        var pooled = drop == "pool" ? x : Pool(x);
        var projection = w["projector.mm_input_projection_weight"];
        const int text = TinyVisionFolder.TextHidden;
        return pooled.Select(r =>
        {
            var n = drop == "soft_norm" ? r : SoftNorm(r);
            return Enumerable.Range(0, text).Select(j => Enumerable.Range(0, H).Sum(i => n[i] * projection[i * text + j])).ToArray();
        }).ToArray();
    }

    // AvgPool2d(kernel = stride = Side / sqrt(tokens)) over the [hidden, Side, Side] grid, flattened row by row.
    private static double[][] Pool(double[][] x)
    {
        var tokensSide = (int)Math.Sqrt(TinyVisionFolder.Tokens);
        var k = Side / tokensSide;
        var pooled = new double[tokensSide * tokensSide][];
        for (var ty = 0; ty < tokensSide; ty++)
            for (var tx = 0; tx < tokensSide; tx++)
                pooled[ty * tokensSide + tx] = Enumerable.Range(0, H).Select(d =>
                    Enumerable.Range(0, k * k).Average(i => x[(ty * k + i / k) * Side + tx * k + i % k][d])).ToArray();
        return pooled;
    }

    private double[] SoftNorm(double[] r)
    {
        var inv = 1 / Math.Sqrt(r.Average(v => v * v) + 1e-6);
        var weight = w["projector.mm_soft_emb_norm.weight"];
        return r.Select((v, i) => v * inv * (1 + weight[i])).ToArray();
    }

    private static double[] Attend(double[] q, double[][] k, double[][] v)
    {
        const int heads = TinyVisionFolder.Heads, hd = H / heads;
        var output = new double[H];
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
        var mean = r.Average();
        var inv = 1 / Math.Sqrt(r.Average(v => (v - mean) * (v - mean)) + 1e-6);
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
}
