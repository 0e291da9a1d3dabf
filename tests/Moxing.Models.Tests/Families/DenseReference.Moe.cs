namespace Moxing.Models.Tests.Families;

// The sparse blocks of the mixtures of experts DenseReference states: routing, experts and shared experts, with the switches a
// test may drop ("top_k_normalisation": the chosen experts weighted by their softmax over all experts; "shared_expert": none).
internal sealed partial class DenseReference
{
    private double[]? _ropeFactors;
    private double _ropeScale = 1;

    // PhimoeRotaryEmbedding's LongRoPE: inv_freq divided per pair by long_factor when the sequence outgrows
    // original_max_position_embeddings (short_factor within it), cos and sin times long_mscale (short_mscale); dropped ("mscale"),
    // the converter's sqrt(1 + ln(max/original) / ln original) instead.
    private void LongRope(int n)
    {
        if (_c["rope_scaling"] is not System.Text.Json.Nodes.JsonObject r || (string?)r["type"] != "longrope") return;
        var original = (double)r["original_max_position_embeddings"]!;
        var longRope = n > original;
        _ropeFactors = [.. r[longRope ? "long_factor" : "short_factor"]!.AsArray().Select(f => (double)f!)];
        var factor = D("max_position_embeddings", 4096) / original;
        _ropeScale = _drop == "mscale" ? Math.Sqrt(1 + Math.Log(factor) / Math.Log(original)) : (double)r[longRope ? "long_mscale" : "short_mscale"]!;
    }

    private double LongRopeFactor(int pair) => _ropeFactors?[pair] ?? 1;

    // PhimoeSparseMoeBlock at inference: sparsemixer picks two experts in turn, each weighted by its softmax over the experts left
    // within 2·router_jitter_noise (relative) of it (dropped, "sparsemixer": llama.cpp's softmax top-2 renormalised); Mixtral's
    // w2(SiLU(w1 x)·w3 x) experts.
    private double[] PhiMoe(string p, double[] x)
    {
        var logits = Affine(p + "block_sparse_moe.gate", x);
        var y = new double[x.Length];
        void Expert(int e, double weight, double[] sum)
        {
            var q = $"{p}block_sparse_moe.experts.{e}.";
            var gate = Affine(q + "w1", x);
            var act = Affine(q + "w3", x).Select((u, i) => gate[i] / (1 + Math.Exp(-gate[i])) * u).ToArray();
            Accumulate(sum, weight, Affine(q + "w2", act));
        }
        if (_drop == "sparsemixer") return Routed(logits, 2, normalise: true, Expert);
        var eps = D("router_jitter_noise", 0.01);
        var taken = new bool[logits.Length];
        for (var round = 0; round < 2; round++)
        {
            var best = Enumerable.Range(0, logits.Length).Where(e => !taken[e]).OrderByDescending(e => logits[e]).ThenBy(e => e).First();
            var max = logits[best];
            var sum = Enumerable.Range(0, logits.Length)
                .Where(e => !taken[e] && !((max - logits[e]) / Math.Max(Math.Abs(logits[e]), max) > 2 * eps)).Sum(e => Math.Exp(logits[e] - max));
            Expert(best, 1 / sum, y);
            taken[best] = true;
        }
        return y;
    }

    // GraniteMoeMoE: softmax over the top-k router logits; each expert act(x·gate)·(x·up) then down, from its slice of the stacked
    // input_linear (gate rows, then up rows) and output_linear; GraniteMoeSharedMoeDecoderLayer adds shared_mlp's output ungated.
    private double[] GraniteMoe(string p, double[] x)
    {
        var ff = I("intermediate_size");
        var logits = Affine(p + "block_sparse_moe.router.layer", x);
        double[] inputLinear = [.. _w[p + "block_sparse_moe.input_linear.weight"].Select(v => (double)v)];
        double[] outputLinear = [.. _w[p + "block_sparse_moe.output_linear.weight"].Select(v => (double)v)];
        var y = Routed(logits, I("num_experts_per_tok"), normalise: true, (e, weight, sum) =>
            Accumulate(sum, weight, GatedHalves(inputLinear, outputLinear, e, ff, x)));
        if (_c["shared_intermediate_size"] is { } shared && _drop != "shared_expert")
        {
            double[] sharedIn = [.. _w[p + "shared_mlp.input_linear.weight"].Select(v => (double)v)];
            double[] sharedOut = [.. _w[p + "shared_mlp.output_linear.weight"].Select(v => (double)v)];
            Accumulate(y, 1, GatedHalves(sharedIn, sharedOut, 0, (int)shared, x));
        }
        return y;
    }

    // Ernie4_5_MoeSparseMoeBlock: softmax of the router logits, the moe_k experts of the largest probability + e_score_correction_bias
    // (dropped, "selection_bias": of the largest probability), weighted by their probabilities over their sum (clamped to
    // moe_norm_min 1e-12); SiLU-gated experts; shared_experts' output added ungated (dropped, "shared_expert": none).
    private double[] ErnieMoe(string p, double[] x)
    {
        var logits = Affine(p + "mlp.gate", x);
        var bias = _w[p + "mlp.moe_statics.e_score_correction_bias"];
        var max = logits.Max();
        var exp = logits.Select(l => Math.Exp(l - max)).ToArray();
        var probabilities = exp.Select(v => v / exp.Sum()).ToArray();
        var useBias = _drop != "selection_bias";
        var chosen = Enumerable.Range(0, logits.Length).OrderByDescending(e => probabilities[e] + (useBias ? bias[e] : 0)).ThenBy(e => e).Take(I("moe_k")).ToArray();
        var divisor = Math.Max(chosen.Sum(e => probabilities[e]), 1e-12);
        var y = new double[x.Length];
        foreach (var e in chosen) Accumulate(y, probabilities[e] / divisor, GatedMlp($"{p}mlp.experts.{e}.", x));
        if (I("moe_num_shared_experts") > 0 && _drop != "shared_expert") Accumulate(y, 1, GatedMlp(p + "mlp.shared_experts.", x));
        return y;
    }

    // HunYuanMoEV1Moe: softmax of gate.wg's logits, the moe_topk (this layer's) most probable renormalised, SiLU-gated experts,
    // plus shared_mlp's output (dropped, "shared_expert": none).
    private double[] HunyuanMoe(string p, double[] x)
    {
        var k = _c["moe_topk"] is System.Text.Json.Nodes.JsonArray perLayer ? (int)perLayer[int.Parse(p.Split('.')[2], System.Globalization.CultureInfo.InvariantCulture)]! : I("moe_topk");
        var y = Routed(Affine(p + "mlp.gate.wg", x), k, normalise: true, (e, weight, sum) => Accumulate(sum, weight, GatedMlp($"{p}mlp.experts.{e}.", x)));
        return _drop == "shared_expert" ? y : Accumulate(y, 1, GatedMlp(p + "mlp.shared_mlp.", x));
    }

    // down(SiLU(gate x) · up x) of the projections under prefix q.
    private double[] GatedMlp(string q, double[] x)
    {
        var gate = Affine(q + "gate_proj", x);
        return Affine(q + "down_proj", Affine(q + "up_proj", x).Select((u, i) => gate[i] / (1 + Math.Exp(-gate[i])) * u).ToArray());
    }

    // Softmax of the router logits, the k most probable experts (ties to the lower index) weighted by their probability divided by
    // the chosen ones' sum when normalise (unless dropped); expert(e, weight, sum) adds each one's weighted output to sum.
    private double[] Routed(double[] logits, int k, bool normalise, Action<int, double, double[]> expert)
    {
        var max = logits.Max();
        var exp = logits.Select(l => Math.Exp(l - max)).ToArray();
        var total = exp.Sum();
        var chosen = Enumerable.Range(0, logits.Length).OrderByDescending(e => logits[e]).ThenBy(e => e).Take(k).ToArray();
        var divisor = normalise && _drop != "top_k_normalisation" ? chosen.Sum(e => exp[e]) : total;
        var sum = new double[I("hidden_size")];
        foreach (var e in chosen) expert(e, exp[e] / divisor, sum);
        return sum;
    }

    private static double[] Accumulate(double[] sum, double weight, double[] value)
    {
        for (var d = 0; d < sum.Length; d++) sum[d] += weight * value[d];
        return sum;
    }

    // SiLU(gate)·up of matrix e of a fused [.., 2·ff, hidden] stack (gate rows first), through matrix e of a [.., hidden, ff] stack.
    private static double[] GatedHalves(double[] fused, double[] down, int e, int ff, double[] x)
    {
        int h = x.Length;
        var gate = Product(fused, (long)e * 2 * ff * h, ff, x);
        var up = Product(fused, ((long)e * 2 * ff + ff) * h, ff, x);
        var act = gate.Select((g, i) => g / (1 + Math.Exp(-g)) * up[i]).ToArray();
        return Product(down, (long)e * h * ff, h, act);
    }

    // The rows × x.Length matrix at offset of w, times x.
    private static double[] Product(double[] w, long offset, int rows, double[] x)
    {
        var y = new double[rows];
        for (var r = 0; r < rows; r++)
        {
            double s = 0;
            for (var c = 0; c < x.Length; c++) s += w[offset + (long)r * x.Length + c] * x[c];
            y[r] = s;
        }
        return y;
    }
}
