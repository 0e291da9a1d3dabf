namespace Moxing.Models.Tests.Families;

// NemotronHModel: embeddings; per block residual + mixer(norm(x)) with the block's one RMSNorm (layer_norm_epsilon) and its mixer as
// hybrid_override_pattern says: M NemotronHMamba2Mixer (the gated norm per B/C group), * NemotronHAttention (Jamba's: no positions),
// - NemotronHMLP (down(relu²(up x))), E NemotronHMoE; norm_f; lm_head.
internal sealed partial class DenseReference
{
    private double[][] NemotronHForward(int[] ids)
    {
        _c["rms_norm_eps"] = D("layer_norm_epsilon", 1e-5);
        int h = I("hidden_size"), heads = I("num_attention_heads"), kvHeads = I("num_key_value_heads"), hd = I("head_dim"), n = ids.Length;
        var pattern = (string)_c["hybrid_override_pattern"]!;
        var x = ids.Select(id => _w["backbone.embeddings.weight"].AsSpan(id * h, h).ToArray().Select(v => (double)v).ToArray()).ToArray();
        for (var l = 0; l < pattern.Length; l++)
        {
            var p = $"backbone.layers.{l}.";
            // Under the names Attention reads.
            foreach (var proj in new[] { "q_proj", "k_proj", "v_proj", "o_proj" }) Rename(p + "mixer." + proj, p + "self_attn." + proj);
            var normed = x.Select(r => Norm(r, p + "norm")).ToArray();
            var mixed = pattern[l] switch
            {
                'M' => Mamba2(p + "mixer.", normed, I("mamba_num_heads"), I("mamba_num_heads") * I("mamba_head_dim"), I("ssm_state_size"), I("n_groups"),
                    I("conv_kernel"), I("n_groups")),
                '*' => Attention(p, normed, heads, kvHeads, hd, hd, 1 / Math.Sqrt(hd), 0, _drop, rotate: false),
                '-' => normed.Select(r => Relu2Mlp(p + "mixer.", r)).ToArray(),
                _ => normed.Select(r => NemotronHMoe(p + "mixer.", r)).ToArray(),
            };
            for (var t = 0; t < n; t++)
                for (var d = 0; d < h; d++) x[t][d] += mixed[t][d];
        }
        return x.Select(r => Affine("lm_head", Norm(r, "backbone.norm_f"))).ToArray();
    }

    // NemotronHMLP: down(relu(up x)²) (dropped, "relu2": relu alone).
    private double[] Relu2Mlp(string q, double[] x) =>
        Affine(q + "down_proj", Affine(q + "up_proj", x).Select(u => Math.Pow(Math.Max(u, 0), _drop == "relu2" ? 1 : 2)).ToArray());

    // NemotronHMoE (DeepseekV3MoE's routing): scores = sigmoid(gate x), the top num_experts_per_tok of scores + e_score_correction_bias
    // (one group), their scores divided by their sum + 1e-20 where norm_topk_prob, × routed_scaling_factor; each expert a NemotronHMLP;
    // plus the shared expert. Dropped: "selection_bias" chooses by the scores alone, "shared_expert" leaves the shared expert out.
    private double[] NemotronHMoe(string p, double[] x)
    {
        var scores = Affine(p + "gate", x).Select(l => 1 / (1 + Math.Exp(-l))).ToArray();
        var bias = _drop == "selection_bias" ? null : _w[p + "gate.e_score_correction_bias"];
        var chosen = Enumerable.Range(0, scores.Length).OrderByDescending(e => scores[e] + (bias?[e] ?? 0)).ThenBy(e => e).Take(I("num_experts_per_tok")).ToArray();
        var divisor = B("norm_topk_prob") ? chosen.Sum(e => scores[e]) + 1e-20 : 1;
        var y = new double[x.Length];
        foreach (var e in chosen) Accumulate(y, scores[e] / divisor * D("routed_scaling_factor", 1), Relu2Mlp($"{p}experts.{e}.", x));
        return _drop == "shared_expert" ? y : Accumulate(y, 1, Relu2Mlp(p + "shared_experts.", x));
    }
}
