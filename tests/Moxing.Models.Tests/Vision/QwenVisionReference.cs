namespace Moxing.Models.Tests.Vision;

/// <summary>
/// transformers' Qwen2VisionTransformerPretrainedModel / Qwen2_5_VisionTransformerPretrainedModel in double precision over
/// <see cref="TinyQwenVisionFolder"/>'s weights, for one still image: Qwen2VLImageProcessor's patch order (grid_t 1, then each 2 × 2 merge
/// square's patches consecutive, the frame repeated over temporal_patch_size 2), PatchEmbed's Conv3d, rot_pos_emb's (row, column) angles
/// on rotate_half, for 2.5 get_window_index (windows of window_size / patch / merge squares, their squares reordered window by window,
/// cu_window_seqlens) and attention within windows but in fullatt_block_indexes, the blocks (LayerNorm + quick_gelu fc1/fc2, or RMSNorm +
/// SiLU gate · up), PatchMerger (ln_q, view(−1, 4 · hidden), mlp.0, GELU (erf), mlp.2), then the squares put back by argsort(window_index).
/// <c>drop</c> leaves out "window" (every block attends to every patch), "rotary", or "merge_order" (patches row by row, so the merger
/// stacks four patches of a row).
/// </summary>
internal sealed class QwenVisionReference(TinyQwenVisionFolder folder)
{
    private const int P = TinyQwenVisionFolder.PatchSize, H = TinyQwenVisionFolder.Hidden, M = TinyQwenVisionFolder.Merge;
    private readonly Dictionary<string, float[]> w = folder.Weights;

    /// <summary>The merged embeddings [squares row by row][text hidden] of pixels [3, height, width].</summary>
    public double[][] Forward(float[] pixels, int width, int height, string? drop = null)
    {
        int gw = width / P, gh = height / P, n = gw * gh;
        // the processor's order: merge squares row by row, the square's patches row by row (or plain rows without the merge order)
        var order = drop == "merge_order"
            ? Enumerable.Range(0, n).Select(i => (Y: i / gw, X: i % gw)).ToArray()
            : (from uy in Enumerable.Range(0, gh / M)
               from ux in Enumerable.Range(0, gw / M)
               from d in Enumerable.Range(0, M * M)
               select (Y: uy * M + d / M, X: ux * M + d % M)).ToArray();
        var kernel = w["tower.patch_embed.proj.weight"];
        var x = order.Select(pt => Enumerable.Range(0, H).Select(o =>
        {
            double sum = 0;
            for (var c = 0; c < 3; c++)
                for (var t = 0; t < 2; t++)
                    for (var ky = 0; ky < P; ky++)
                        for (var kx = 0; kx < P; kx++)
                            sum += (double)kernel[(((o * 3 + c) * 2 + t) * P + ky) * P + kx] * pixels[(c * height + pt.Y * P + ky) * width + pt.X * P + kx];
            return sum;
        }).ToArray()).ToArray();
        var positions = order;
        int[] windowIndex = [.. Enumerable.Range(0, n / (M * M))];
        var windows = new List<int> { 0, n };
        if (folder.Qwen25 && drop != "window") (windowIndex, windows) = WindowIndex(gw / M, gh / M, folder.Window / P / M);
        x = windowIndex.SelectMany(u => x.Skip(u * M * M).Take(M * M)).ToArray();
        positions = windowIndex.SelectMany(u => positions.Skip(u * M * M).Take(M * M)).ToArray();
        for (var l = 0; l < TinyQwenVisionFolder.Layers; l++)
        {
            var full = !folder.Qwen25 || l == 1;
            x = Block(x, $"tower.blocks.{l}.", positions, full ? [0, n] : windows, drop == "rotary");
        }
        var merged = x.Select(r => Norm(r, "tower.merger.ln_q")).Chunk(M * M).Select(c => c.SelectMany(r => r).ToArray()).ToArray();
        var projected = merged.Select(r => Affine("tower.merger.mlp.2", Affine("tower.merger.mlp.0", r).Select(GeluErf).ToArray())).ToArray();
        var result = new double[projected.Length][];
        for (var i = 0; i < windowIndex.Length; i++) result[windowIndex[i]] = projected[i];
        return result;
    }

    // get_window_index: the square grid padded to whole windows, windows row by row, each one's squares row by row without the padding;
    // cu_window_seqlens in patches.
    private static (int[], List<int>) WindowIndex(int unitsW, int unitsH, int ws)
    {
        var index = new List<int>();
        var bounds = new List<int> { 0 };
        for (var wy = 0; wy < (unitsH + ws - 1) / ws; wy++)
            for (var wx = 0; wx < (unitsW + ws - 1) / ws; wx++)
            {
                for (var y = wy * ws; y < Math.Min(unitsH, (wy + 1) * ws); y++)
                    for (var x = wx * ws; x < Math.Min(unitsW, (wx + 1) * ws); x++) index.Add(y * unitsW + x);
                if (index.Count * M * M != bounds[^1]) bounds.Add(index.Count * M * M);
            }
        return ([.. index], bounds);
    }

    private double[][] Block(double[][] x, string p, (int Y, int X)[] positions, List<int> windows, bool noRotary)
    {
        var normed = x.Select(r => Norm(r, p + "norm1")).ToArray();
        var qkv = normed.Select(r => Affine(p + "attn.qkv", r)).ToArray();
        var q = qkv.Select((r, t) => Rotate(r[..H], positions[t], noRotary)).ToArray();
        var k = qkv.Select((r, t) => Rotate(r[H..(2 * H)], positions[t], noRotary)).ToArray();
        var v = qkv.Select(r => r[(2 * H)..]).ToArray();
        var attended = new double[x.Length][];
        for (var s = 0; s + 1 < windows.Count; s++)
            for (var t = windows[s]; t < windows[s + 1]; t++)
                attended[t] = Affine(p + "attn.proj", VisionReference.Attend(q[t], k[windows[s]..windows[s + 1]], v[windows[s]..windows[s + 1]], TinyQwenVisionFolder.Heads));
        for (var t = 0; t < x.Length; t++)
        {
            var h = x[t].Select((value, d) => value + attended[t][d]).ToArray();
            var n2 = Norm(h, p + "norm2");
            var inner = folder.Qwen25
                ? Affine(p + "mlp.gate_proj", n2).Select(Silu).Zip(Affine(p + "mlp.up_proj", n2), (g, u) => g * u).ToArray()
                : Affine(p + "mlp.fc1", n2).Select(QuickGelu).ToArray();
            var mlp = Affine(folder.Qwen25 ? p + "mlp.down_proj" : p + "mlp.fc2", inner);
            x[t] = h.Select((value, d) => value + mlp[d]).ToArray();
        }
        return x;
    }

    // VisionRotaryEmbedding(head_dim / 2): inv_freq over head_dim / 4 pairs, the row's angles then the column's, rotate_half per head.
    private static double[] Rotate(double[] r, (int Y, int X) position, bool skip)
    {
        if (skip) return r;
        const int hd = H / TinyQwenVisionFolder.Heads, half = hd / 2, quarter = hd / 4;
        var result = (double[])r.Clone();
        for (var head = 0; head < TinyQwenVisionFolder.Heads; head++)
            for (var i = 0; i < half; i++)
            {
                var invFreq = 1 / Math.Pow(10000, 2.0 * (i % quarter) / half);
                var angle = (i < quarter ? position.Y : position.X) * invFreq;
                double a = r[head * hd + i], b = r[head * hd + i + half];
                result[head * hd + i] = a * Math.Cos(angle) - b * Math.Sin(angle);
                result[head * hd + i + half] = b * Math.Cos(angle) + a * Math.Sin(angle);
            }
        return result;
    }

    // LayerNorm (Qwen2-VL) or Qwen2RMSNorm (2.5), eps 1e-6.
    private double[] Norm(double[] r, string name)
    {
        var weight = w[name + ".weight"];
        if (folder.Qwen25)
        {
            var inv = 1 / Math.Sqrt(r.Average(v => v * v) + 1e-6);
            return r.Select((v, i) => v * inv * weight[i]).ToArray();
        }
        var mean = r.Average();
        var invStd = 1 / Math.Sqrt(r.Average(v => (v - mean) * (v - mean)) + 1e-6);
        return r.Select((v, i) => (v - mean) * invStd * weight[i] + w[name + ".bias"][i]).ToArray();
    }

    private double[] Affine(string name, double[] r)
    {
        var weight = w[name + ".weight"];
        var bias = w[name + ".bias"];
        var cols = r.Length;
        return Enumerable.Range(0, bias.Length).Select(o => bias[o] + Enumerable.Range(0, cols).Sum(i => weight[o * cols + i] * r[i])).ToArray();
    }

    private static double Silu(double x) => x / (1 + Math.Exp(-x));

    private static double QuickGelu(double x) => x / (1 + Math.Exp(-1.702 * x));

    private static double GeluErf(double x) => 0.5 * x * (1 + Moxing.Core.Tests.Ops.ReferenceErf.Erf(x / Math.Sqrt(2)));
}
