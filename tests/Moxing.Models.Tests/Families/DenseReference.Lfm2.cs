namespace Moxing.Models.Tests.Families;

// Lfm2Model: per layer operator_norm, then Lfm2ShortConv or Lfm2Attention (q/k layernorms per head, rotate_half RoPE), the
// residual, ffn_norm and the SwiGLU feed_forward (w2(silu(w1 x) · w3 x)) or, past Lfm2MoeModel's num_dense_layers, its
// Lfm2MoeSparseMoeBlock; the residual; embedding_norm last, the tied head.
internal sealed partial class DenseReference
{
    private double[][] Lfm2Forward(int[] ids)
    {
        _c["rms_norm_eps"] = D("norm_eps", 1e-5);
        int h = I("hidden_size"), heads = I("num_attention_heads"), kvHeads = I("num_key_value_heads"), hd = h / heads, n = ids.Length;
        LongRope(n);
        var x = ids.Select(id => _w["model.embed_tokens.weight"].AsSpan(id * h, h).ToArray().Select(v => (double)v).ToArray()).ToArray();
        for (var l = 0; l < I("num_hidden_layers"); l++)
        {
            var p = $"model.layers.{l}.";
            // Under the names Attention and Mlp read.
            foreach (var (from, to) in new[] { ("self_attn.out_proj", "self_attn.o_proj"), ("self_attn.q_layernorm", "self_attn.q_norm"),
                ("self_attn.k_layernorm", "self_attn.k_norm"), ("feed_forward.w1", "mlp.gate_proj"), ("feed_forward.w3", "mlp.up_proj"), ("feed_forward.w2", "mlp.down_proj") })
                Rename(p + from, p + to);
            var normed = x.Select(r => Norm(r, p + "operator_norm")).ToArray();
            var mixed = (string?)_c["layer_types"]![l] == "conv" ? ShortConv(p, normed)
                : Attention(p, normed, heads, kvHeads, hd, hd, 1 / Math.Sqrt(hd), 0, _drop, rotate: true);
            for (var t = 0; t < n; t++)
            {
                for (var d = 0; d < h; d++) x[t][d] += mixed[t][d];
                var ffnIn = Norm(x[t], p + "ffn_norm");
                var m = _w.ContainsKey(p + "feed_forward.gate.weight") ? Lfm2Experts(p + "feed_forward.", ffnIn) : Mlp(p, ffnIn);
                for (var d = 0; d < h; d++) x[t][d] += m[d];
            }
        }
        var head = _w.ContainsKey("lm_head.weight") ? "lm_head" : "model.embed_tokens";
        return x.Select(r => Affine(head, Norm(r, "model.embedding_norm"))).ToArray();
    }

    // Lfm2ShortConv.slow_forward without a cache: B, C, x = in_proj(x).chunk(3); Conv1d(groups = channels, padding taps − 1) of B·x,
    // its first n outputs (so output t reads inputs t − taps + 1 .. t, zeros before the first); C times that; out_proj. Dropped:
    // "conv_gate" leaves C out, "conv_order" reads the taps the other way round.
    private double[][] ShortConv(string p, double[][] xs)
    {
        int n = xs.Length, h = xs[0].Length, taps = I("conv_L_cache");
        var bcx = xs.Select(r => Affine(p + "conv.in_proj", r)).ToArray();
        var kernel = _w[p + "conv.conv.weight"];
        var bias = _w.GetValueOrDefault(p + "conv.conv.bias");
        var output = new double[n][];
        for (var t = 0; t < n; t++)
        {
            var y = new double[h];
            for (var c = 0; c < h; c++)
            {
                double sum = bias?[c] ?? 0;
                for (var k = 0; k < taps; k++)
                {
                    var j = t - (taps - 1) + k;
                    var tap = _drop == "conv_order" ? taps - 1 - k : k;
                    if (j >= 0) sum += kernel[c * taps + tap] * bcx[j][c] * bcx[j][2 * h + c];
                }
                y[c] = (_drop == "conv_gate" ? 1 : bcx[t][h + c]) * sum;
            }
            output[t] = Affine(p + "conv.out_proj", y);
        }
        return output;
    }

    // Lfm2MoeSparseMoeBlock.route_tokens_to_experts: scores = sigmoid(gate x); the top num_experts_per_tok of scores + expert_bias
    // (the buffer exists only where use_expert_bias, default true);
    // their scores divided by their sum + 1e-6 where norm_topk_prob, times routed_scaling_factor; each expert w2(silu(w1 x) · w3 x).
    // Dropped: "sigmoid" scores by softmax, "selection_bias" chooses by the scores alone, "top_k_normalisation" keeps them as they are.
    private double[] Lfm2Experts(string p, double[] x)
    {
        var logits = Affine(p + "gate", x);
        var exp = logits.Select(l => Math.Exp(l - logits.Max())).ToArray();
        var scores = _drop == "sigmoid" ? exp.Select(v => v / exp.Sum()).ToArray() : logits.Select(l => 1 / (1 + Math.Exp(-l))).ToArray();
        var bias = _drop == "selection_bias" || _c["use_expert_bias"] is { } use && !(bool)use ? null : _w[p + "expert_bias"];
        var chosen = Enumerable.Range(0, scores.Length).OrderByDescending(e => scores[e] + (bias?[e] ?? 0)).ThenBy(e => e).Take(I("num_experts_per_tok")).ToArray();
        var divisor = B("norm_topk_prob") && _drop != "top_k_normalisation" ? chosen.Sum(e => scores[e]) + 1e-6 : 1;
        var y = new double[x.Length];
        foreach (var e in chosen)
        {
            var q = $"{p}experts.{e}.";
            var gate = Affine(q + "w1", x);
            var hidden = Affine(q + "w3", x).Select((u, i) => gate[i] / (1 + Math.Exp(-gate[i])) * u).ToArray();
            Accumulate(y, scores[e] / divisor * D("routed_scaling_factor", 1), Affine(q + "w2", hidden));
        }
        return y;
    }
}
