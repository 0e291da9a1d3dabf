using System.Text.Json.Nodes;

namespace Moxing.Models.Tests.Families;

// DeepSeek-V2 / V3 as DeepSeek's and transformers' modeling code states them: multi-head latent attention and DeepSeek's routing.
// Switches a test may drop: "mla_rope" (the rotation on each head's first qk_rope_head_dim dimensions, as if the rotary part led),
// "interleaved" (rotate_half's pairs), "mscale" (1/√(q head dim) alone), "groups" (every expert searchable), "selection_bias",
// "sigmoid" (softmax scores), "routed_scaling", "shared_expert".
internal sealed partial class DenseReference
{
    private bool DeepSeek => _type is "deepseek_v2" or "deepseek_v3";

    private double[][] LatentAttention(string p, double[][] xs, string? drop)
    {
        int n = xs.Length, heads = I("num_attention_heads"), rope = I("qk_rope_head_dim"), nope = I("qk_nope_head_dim"), vd = I("v_head_dim");
        int rank = I("kv_lora_rank"), hd = nope + rope;
        var q = xs.Select(x => _c["q_lora_rank"] is null ? Affine(p + "self_attn.q_proj", x)
            : Affine(p + "self_attn.q_b_proj", Norm(Affine(p + "self_attn.q_a_proj", x), p + "self_attn.q_a_layernorm"))).ToArray();
        var compressed = xs.Select(x => Affine(p + "self_attn.kv_a_proj_with_mqa", x)).ToArray();
        var kv = compressed.Select(c => Affine(p + "self_attn.kv_b_proj", Norm(c[..rank], p + "self_attn.kv_a_layernorm"))).ToArray();
        var (inv, cosSin) = YarnFrequencies(rope);
        // apply_rotary_emb (V2's complex pairs) and apply_rotary_pos_emb_interleave (V3): pairs (2i, 2i + 1) of q_pe and k_pe.
        void Rotate(double[] v, int at, int position)
        {
            var start = drop == "mla_rope" ? at - nope : at;
            for (var i = 0; i < rope / 2; i++)
            {
                var (cos, sin) = (Math.Cos(position * inv[i]) * cosSin, Math.Sin(position * inv[i]) * cosSin);
                int a = drop == "interleaved" ? start + i : start + 2 * i, b = drop == "interleaved" ? a + rope / 2 : a + 1;
                (v[a], v[b]) = (v[a] * cos - v[b] * sin, v[b] * cos + v[a] * sin);
            }
        }
        var keys = new double[n][];
        for (var t = 0; t < n; t++)
        {
            var kPe = compressed[t][rank..];
            keys[t] = new double[heads * hd];
            for (var h = 0; h < heads; h++)
            {
                Array.Copy(kv[t], h * (nope + vd), keys[t], h * hd, nope);
                Array.Copy(kPe, 0, keys[t], h * hd + nope, rope);
                Rotate(q[t], h * hd + nope, t);
                Rotate(keys[t], h * hd + nope, t);
            }
        }
        var scale = 1 / Math.Sqrt(hd);
        var r = _c["rope_scaling"]!.AsObject();
        if (drop != "mscale" && r["mscale_all_dim"] is { } all) scale *= Math.Pow(YarnMscale((double)r["factor"]!, (double)all), 2);
        var output = new double[n][];
        for (var t = 0; t < n; t++)
        {
            var attended = new double[heads * vd];
            for (var h = 0; h < heads; h++)
            {
                var scores = Enumerable.Range(0, t + 1).Select(j => Enumerable.Range(0, hd).Sum(d => q[t][h * hd + d] * keys[j][h * hd + d]) * scale).ToArray();
                var max = scores.Max();
                var sum = scores.Sum(s => Math.Exp(s - max));
                for (var j = 0; j <= t; j++)
                    for (var d = 0; d < vd; d++) attended[h * vd + d] += Math.Exp(scores[j] - max) / sum * kv[j][h * (nope + vd) + nope + d];
            }
            output[t] = Affine(p + "self_attn.o_proj", attended);
        }
        return output;
    }

    private static double YarnMscale(double scale, double m) => scale <= 1 ? 1 : 0.1 * m * Math.Log(scale) + 1;

    // transformers' _compute_yarn_parameters over the rotated dimensions: a ramp between interpolated (÷ factor) and original
    // frequencies over the truncated correction range, cos/sin times mscale(factor, mscale) / mscale(factor, mscale_all_dim).
    private (double[] Inverse, double CosSin) YarnFrequencies(int dim)
    {
        var r = _c["rope_scaling"]!.AsObject();
        double theta = D("rope_theta", 10000), factor = (double)r["factor"]!, original = (double)r["original_max_position_embeddings"]!;
        double Correction(double rotations) => dim * Math.Log(original / (rotations * 2 * Math.PI)) / (2 * Math.Log(theta));
        double low = Math.Max(Math.Floor(Correction((double)r["beta_fast"]!)), 0), high = Math.Min(Math.Ceiling(Correction((double)r["beta_slow"]!)), dim - 1);
        if (low == high) high += 0.001;
        var inverse = Enumerable.Range(0, dim / 2).Select(i =>
        {
            var extrapolation = 1 / Math.Pow(theta, 2.0 * i / dim);
            var keep = 1 - Math.Clamp((i - low) / (high - low), 0, 1);
            return extrapolation / factor * (1 - keep) + extrapolation * keep;
        }).ToArray();
        return (inverse, YarnMscale(factor, (double)r["mscale"]!) / YarnMscale(factor, (double)r["mscale_all_dim"]!));
    }

    // DeepseekV2Moe (DeepSeek's MoEGate) and DeepseekV3MoE: softmax or sigmoid scores; greedy top-k, or within the topk_group best
    // of n_group groups (by their best score, or V3's best two plus e_score_correction_bias; the others zeroed); weights the
    // scores, renormalised (+1e-20) where norm_topk_prob, times routed_scaling_factor; SiLU-gated experts; shared experts added.
    private double[] DeepSeekMoe(string p, double[] x)
    {
        var logits = Affine(p + "mlp.gate", x);
        // Glm4MoeMoE and Dots1MoE (DeepseekV3MoE) have neither key: sigmoid scores, noaux_tc.
        var sigmoid = (DeepSeek ? (string?)_c["scoring_func"] == "sigmoid" : true) && _drop != "sigmoid";
        double[] scores;
        if (sigmoid) scores = logits.Select(l => 1 / (1 + Math.Exp(-l))).ToArray();
        else
        {
            var max = logits.Max();
            var exp = logits.Select(l => Math.Exp(l - max)).ToArray();
            scores = exp.Select(v => v / exp.Sum()).ToArray();
        }
        var bias = _drop == "selection_bias" ? null : _w.GetValueOrDefault(p + "mlp.gate.e_score_correction_bias");
        var choice = scores.Select((s, e) => s + (bias?[e] ?? 0)).ToArray();
        var method = DeepSeek ? (string)_c["topk_method"]! : "noaux_tc";
        if (method != "greedy" && _drop != "groups")
        {
            int groups = I("n_group"), size = choice.Length / groups;
            var rank = Enumerable.Range(0, groups).Select(g => choice.Skip(g * size).Take(size).OrderDescending().Take(method == "noaux_tc" ? 2 : 1).Sum()).ToArray();
            var kept = Enumerable.Range(0, groups).OrderByDescending(g => rank[g]).ThenBy(g => g).Take(I("topk_group")).ToHashSet();
            for (var e = 0; e < choice.Length; e++)
                if (!kept.Contains(e / size)) choice[e] = 0;
        }
        var chosen = Enumerable.Range(0, choice.Length).OrderByDescending(e => choice[e]).ThenBy(e => e).Take(I("num_experts_per_tok")).ToArray();
        var divisor = (bool?)_c["norm_topk_prob"] == true ? chosen.Sum(e => scores[e]) + 1e-20 : 1;
        var factor = _drop == "routed_scaling" ? 1 : D("routed_scaling_factor", 1);
        var y = new double[x.Length];
        foreach (var e in chosen) Accumulate(y, scores[e] / divisor * factor, GatedMlp($"{p}mlp.experts.{e}.", x));
        if (_drop != "shared_expert") Accumulate(y, 1, GatedMlp(p + "mlp.shared_experts.", x));
        return y;
    }
}
