namespace Moxing.Models.Tests.Families;

// Qwen3NextModel / Qwen3_5TextModel: per layer input_layernorm, then Qwen3NextGatedDeltaNet (torch_recurrent_gated_delta_rule, the
// recurrence token by token) or Qwen3NextAttention (the gated one), post_attention_layernorm, then the MLP or the sparse MoE block
// with its sigmoid-gated shared expert; norm; lm_head. Every Qwen3NextRMSNorm scales by 1 + w (dropped, "norm_offset": by w).
internal sealed partial class DenseReference
{
    private double[][] Qwen35Forward(int[] ids)
    {
        int h = I("hidden_size"), n = ids.Length;
        LongRope(n);
        var x = ids.Select(id => _w["model.embed_tokens.weight"].AsSpan(id * h, h).ToArray().Select(v => (double)v).ToArray()).ToArray();
        for (var l = 0; l < I("num_hidden_layers"); l++)
        {
            var p = $"model.layers.{l}.";
            var normed = x.Select(r => OnePlusNorm(r, p + "input_layernorm")).ToArray();
            var mixed = (string?)_c["layer_types"]![l] == "linear_attention" ? GatedDeltaNet(p + "linear_attn.", normed) : GatedAttention(p, normed);
            for (var t = 0; t < n; t++)
            {
                for (var d = 0; d < h; d++) x[t][d] += mixed[t][d];
                var inner = OnePlusNorm(x[t], p + "post_attention_layernorm");
                var m = _w.ContainsKey(p + "mlp.gate.weight") ? Qwen35Moe(p, inner) : GatedMlp(p + "mlp.", inner);
                for (var d = 0; d < h; d++) x[t][d] += m[d];
            }
        }
        return x.Select(r => Affine("lm_head", OnePlusNorm(r, "model.norm"))).ToArray();
    }

    private double[] OnePlusNorm(double[] x, string name)
    {
        var w = _w[name + ".weight"];
        var rms = 1 / Math.Sqrt(x.Average(v => v * v) + D("rms_norm_eps", 1e-6));
        var offset = _drop == "norm_offset" ? 0 : 1;
        return x.Select((v, i) => v * rms * (offset + w[i])).ToArray();
    }

    // q_proj gives per head its queries then its gate; q_norm / k_norm per head, RoPE on the first partial_rotary_factor of each head,
    // softmax(q·k/√hd)·v, times sigmoid(gate) (dropped, "output_gate": not), o_proj.
    private double[][] GatedAttention(string p, double[][] xs)
    {
        int n = xs.Length, heads = I("num_attention_heads"), kvHeads = I("num_key_value_heads"), hd = I("head_dim");
        var rotary = (int)(hd * D("partial_rotary_factor", 1));
        var q = new double[n][];
        var gate = new double[n][];
        var k = new double[n][];
        var v = new double[n][];
        for (var t = 0; t < n; t++)
        {
            var both = Affine(p + "self_attn.q_proj", xs[t]);
            q[t] = [.. Enumerable.Range(0, heads).SelectMany(head => OnePlusNorm(both[(2 * head * hd)..((2 * head + 1) * hd)], p + "self_attn.q_norm"))];
            gate[t] = [.. Enumerable.Range(0, heads).SelectMany(head => both[((2 * head + 1) * hd)..((2 * head + 2) * hd)])];
            var key = Affine(p + "self_attn.k_proj", xs[t]);
            k[t] = [.. Enumerable.Range(0, kvHeads).SelectMany(head => OnePlusNorm(key[(head * hd)..((head + 1) * hd)], p + "self_attn.k_norm"))];
            v[t] = Affine(p + "self_attn.v_proj", xs[t]);
            Rope(q[t], hd, rotary, t, interleaved: false);
            Rope(k[t], hd, rotary, t, interleaved: false);
        }
        var output = new double[n][];
        for (var t = 0; t < n; t++)
        {
            var attended = new double[heads * hd];
            for (var head = 0; head < heads; head++)
            {
                var g = head / (heads / kvHeads);
                var scores = Enumerable.Range(0, t + 1).Select(j => Enumerable.Range(0, hd).Sum(d => q[t][head * hd + d] * k[j][g * hd + d]) / Math.Sqrt(hd)).ToArray();
                var max = scores.Max();
                var sum = scores.Sum(s => Math.Exp(s - max));
                for (var j = 0; j <= t; j++)
                    for (var d = 0; d < hd; d++) attended[head * hd + d] += Math.Exp(scores[j] - max) / sum * v[j][g * hd + d];
            }
            if (_drop != "output_gate")
                for (var d = 0; d < attended.Length; d++) attended[d] /= 1 + Math.Exp(-gate[t][d]);
            output[t] = Affine(p + "self_attn.o_proj", attended);
        }
        return output;
    }

    // Qwen3NextGatedDeltaNet.forward without a cache: q·k·v (Qwen3-Next's in_proj_qkvz and in_proj_ba in per-key-head groups,
    // reordered by fix_query_key_value_ordering), Conv1d(groups = channels, padding taps − 1) and SiLU; q, k l2norm'ed (x·rsqrt(Σx² +
    // 1e-6)), value head h reading key head h ÷ (value heads ÷ key heads); β = sigmoid(b), g = −exp(A_log)·softplus(a + dt_bias); per
    // value head state·exp(g), kv_mem = stateᵀk, state += k ⊗ β(v − kv_mem), out = stateᵀ(q/√dk); Qwen3NextRMSNormGated(out, z) =
    // RMSNorm(out)·w·SiLU(z); out_proj. Dropped: "conv" skips the convolution (SiLU of its input), "l2_norm" the q/k norms, "decay"
    // keeps the state undecayed, "beta" takes β = 1, "z_gate" leaves SiLU(z) out.
    private double[][] GatedDeltaNet(string p, double[][] xs)
    {
        int n = xs.Length, nk = I("linear_num_key_heads"), nv = I("linear_num_value_heads"), dk = I("linear_key_head_dim"), dv = I("linear_value_head_dim");
        int taps = I("linear_conv_kernel_dim"), keyDim = nk * dk, valueDim = nv * dv, channels = 2 * keyDim + valueDim, perKey = nv / nk;
        var mixed = new double[n][];
        var z = new double[n][];
        var b = new double[n][];
        var a = new double[n][];
        for (var t = 0; t < n; t++)
        {
            if (_w.ContainsKey(p + "in_proj_qkvz.weight"))
            {
                var qkvz = Affine(p + "in_proj_qkvz", xs[t]);
                var ba = Affine(p + "in_proj_ba", xs[t]);
                int group = 2 * dk + 2 * perKey * dv;
                mixed[t] = [.. Enumerable.Range(0, nk).SelectMany(g => qkvz[(g * group)..(g * group + dk)])
                    .Concat(Enumerable.Range(0, nk).SelectMany(g => qkvz[(g * group + dk)..(g * group + 2 * dk)]))
                    .Concat(Enumerable.Range(0, nk).SelectMany(g => qkvz[(g * group + 2 * dk)..(g * group + 2 * dk + perKey * dv)]))];
                z[t] = [.. Enumerable.Range(0, nk).SelectMany(g => qkvz[(g * group + 2 * dk + perKey * dv)..((g + 1) * group)])];
                b[t] = [.. Enumerable.Range(0, nk).SelectMany(g => ba[(2 * g * perKey)..((2 * g + 1) * perKey)])];
                a[t] = [.. Enumerable.Range(0, nk).SelectMany(g => ba[((2 * g + 1) * perKey)..((2 * g + 2) * perKey)])];
            }
            else
                (mixed[t], z[t], b[t], a[t]) = (Affine(p + "in_proj_qkv", xs[t]), Affine(p + "in_proj_z", xs[t]), Affine(p + "in_proj_b", xs[t]), Affine(p + "in_proj_a", xs[t]));
        }
        var kernel = _w[p + "conv1d.weight"];
        var conv = new double[n][];
        for (var t = 0; t < n; t++)
        {
            conv[t] = new double[channels];
            for (var c = 0; c < channels; c++)
            {
                double sum = 0;
                if (_drop == "conv") sum = mixed[t][c];
                else
                    for (var j = 0; j < taps; j++)
                        if (t - (taps - 1) + j is var from && from >= 0) sum += kernel[c * taps + j] * mixed[from][c];
                conv[t][c] = sum / (1 + Math.Exp(-sum));
            }
        }
        var state = new double[nv, dk, dv];
        var output = new double[n][];
        for (var t = 0; t < n; t++)
        {
            var q = new double[keyDim];
            var k = new double[keyDim];
            for (var g = 0; g < nk; g++)
            {
                var qs = conv[t][(g * dk)..((g + 1) * dk)];
                var ks = conv[t][(keyDim + g * dk)..(keyDim + (g + 1) * dk)];
                double qn = _drop == "l2_norm" ? 1 : 1 / Math.Sqrt(qs.Sum(e => e * e) + 1e-6), kn = _drop == "l2_norm" ? 1 : 1 / Math.Sqrt(ks.Sum(e => e * e) + 1e-6);
                for (var i = 0; i < dk; i++) (q[g * dk + i], k[g * dk + i]) = (qs[i] * qn / Math.Sqrt(dk), ks[i] * kn);
            }
            var y = new double[valueDim];
            for (var head = 0; head < nv; head++)
            {
                var g = head / perKey;
                var beta = _drop == "beta" ? 1 : 1 / (1 + Math.Exp(-b[t][head]));
                var raw = a[t][head] + _w[p + "dt_bias"][head];
                var decay = _drop == "decay" ? 1 : Math.Exp(-Math.Exp(_w[p + "A_log"][head]) * Math.Log(1 + Math.Exp(raw)));
                var delta = new double[dv];
                for (var j = 0; j < dv; j++)
                {
                    double memory = 0;
                    for (var i = 0; i < dk; i++) memory += (state[head, i, j] *= decay) * k[g * dk + i];
                    delta[j] = (conv[t][2 * keyDim + head * dv + j] - memory) * beta;
                }
                var o = new double[dv];
                for (var j = 0; j < dv; j++)
                    for (var i = 0; i < dk; i++) o[j] += (state[head, i, j] += k[g * dk + i] * delta[j]) * q[g * dk + i];
                var rms = 1 / Math.Sqrt(o.Average(e => e * e) + D("rms_norm_eps", 1e-6));
                for (var j = 0; j < dv; j++)
                {
                    var gate = z[t][head * dv + j];
                    y[head * dv + j] = o[j] * rms * _w[p + "norm.weight"][j] * (_drop == "z_gate" ? 1 : gate / (1 + Math.Exp(-gate)));
                }
            }
            output[t] = Affine(p + "out_proj", y);
        }
        return output;
    }

    // Qwen2MoeSparseMoeBlock: softmax over the experts, top-k renormalised, SiLU-gated experts (per name, or Qwen3.5-MoE's fused
    // gate_up_proj / down_proj stacks), plus the shared expert times sigmoid(shared_expert_gate · x) (dropped, "shared_expert_gate": not).
    private double[] Qwen35Moe(string p, double[] x)
    {
        var ff = I("moe_intermediate_size");
        var fused = _w.ContainsKey(p + "mlp.experts.gate_up_proj");
        double[]? gateUp = fused ? [.. _w[p + "mlp.experts.gate_up_proj"].Select(v => (double)v)] : null;
        double[]? down = fused ? [.. _w[p + "mlp.experts.down_proj"].Select(v => (double)v)] : null;
        var y = Routed(Affine(p + "mlp.gate", x), I("num_experts_per_tok"), normalise: true, (e, weight, sum) =>
            Accumulate(sum, weight, fused ? GatedHalves(gateUp!, down!, e, ff, x) : GatedMlp($"{p}mlp.experts.{e}.", x)));
        var shared = GatedMlp(p + "mlp.shared_expert.", x);
        var scale = _drop == "shared_expert_gate" ? 1 : 1 / (1 + Math.Exp(-Affine(p + "mlp.shared_expert_gate", x)[0]));
        return Accumulate(y, scale, shared);
    }
}
