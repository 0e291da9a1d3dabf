namespace Moxing.Models.Tests.Families;

// MambaModel and FalconMambaModel: embeddings; per block the residual plus MambaMixer(norm(x)) (MambaRMSNorm of layer_norm_epsilon);
// norm_f; lm_head, tied to the embeddings when the checkpoint has none. JambaModel: embed_tokens; per layer input_layernorm, then
// JambaAttention (no positions) where i % attn_layer_period == attn_layer_offset, else JambaMambaMixer; the residual; pre_ff_layernorm,
// then JambaSparseMoeBlock where i % expert_layer_period == expert_layer_offset (softmax over the router's logits, the top
// num_experts_per_tok weighted by their probabilities as they are; dropped, "renormalise": divided by their sum), else JambaMLP; the
// residual; final_layernorm; lm_head.
internal sealed partial class DenseReference
{
    private double[][] MambaForward(int[] ids)
    {
        int h = I("hidden_size"), n = ids.Length;
        _c["rms_norm_eps"] = D("layer_norm_epsilon", 1e-5);
        // FalconMambaMixer's rms_forward: B, C and the time-step inputs RMS-normed without weights, epsilon mixer_rms_eps.
        Func<string, double[], double[]>? norm = _type == "falcon_mamba" ? (_, v) => Rms(v, D("mixer_rms_eps", 1e-6), null) : null;
        var x = ids.Select(id => _w["backbone.embeddings.weight"].AsSpan(id * h, h).ToArray().Select(v => (double)v).ToArray()).ToArray();
        for (var l = 0; l < I("num_hidden_layers"); l++)
        {
            var p = $"backbone.layers.{l}.";
            var mixed = Mamba1(p + "mixer.", x.Select(r => Norm(r, p + "norm")).ToArray(), I("expand") * h, I("state_size"), I("conv_kernel"), TinyHfFolder.TimeStepRank(_c["time_step_rank"]!, h), norm);
            for (var t = 0; t < n; t++)
                for (var d = 0; d < h; d++) x[t][d] += mixed[t][d];
        }
        var head = _w.ContainsKey("lm_head.weight") ? "lm_head" : "backbone.embeddings";
        return x.Select(r => Affine(head, Norm(r, "backbone.norm_f"))).ToArray();
    }

    private double[][] JambaForward(int[] ids)
    {
        int h = I("hidden_size"), heads = I("num_attention_heads"), kvHeads = I("num_key_value_heads"), hd = h / heads, n = ids.Length;
        var rank = TinyHfFolder.TimeStepRank(_c["mamba_dt_rank"]!, h);
        var eps = D("rms_norm_eps", 1e-6);
        var x = ids.Select(id => _w["model.embed_tokens.weight"].AsSpan(id * h, h).ToArray().Select(v => (double)v).ToArray()).ToArray();
        for (var l = 0; l < I("num_hidden_layers"); l++)
        {
            var p = $"model.layers.{l}.";
            var normed = x.Select(r => Norm(r, p + "input_layernorm")).ToArray();
            var mixed = l % I("attn_layer_period") == I("attn_layer_offset")
                ? Attention(p, normed, heads, kvHeads, hd, hd, 1 / Math.Sqrt(hd), 0, _drop, rotate: false)
                : Mamba1(p + "mamba.", normed, I("mamba_expand") * h, I("mamba_d_state"), I("mamba_d_conv"), rank,
                    (which, v) => Rms(v, eps, _w[$"{p}mamba.{which}_layernorm.weight"]));
            var sparse = I("num_experts") > 1 && l % I("expert_layer_period") == I("expert_layer_offset");
            for (var t = 0; t < n; t++)
            {
                for (var d = 0; d < h; d++) x[t][d] += mixed[t][d];
                var f = Norm(x[t], p + "pre_ff_layernorm");
                var m = sparse
                    ? Routed(Affine(p + "feed_forward.router", f), I("num_experts_per_tok"), normalise: _drop == "renormalise",
                        (e, weight, sum) => Accumulate(sum, weight, GatedMlp($"{p}feed_forward.experts.{e}.", f)))
                    : GatedMlp(p + "feed_forward.", f);
                for (var d = 0; d < h; d++) x[t][d] += m[d];
            }
        }
        return x.Select(r => Affine("lm_head", Norm(r, "model.final_layernorm"))).ToArray();
    }

    // MambaMixer.slow_forward (FalconMambaMixer's, JambaMambaMixer's) without a cache, the mixer's tensors under prefix p: in_proj → x,
    // then the gate z; the causal convolution of x; x_proj → time-step inputs, B and C, each through norm("dt" | "b" | "c") where given;
    // dt = softplus(dt_proj(...) with its bias); per channel c: state ← state·exp(dt·A) + dt·x·B with A = −exp(A_log), y = state·C +
    // D·x; y·SiLU(z); out_proj. Dropped: "ssm_decay" keeps the state undecayed, "a_exp" takes A = −A_log, "ssm_skip" leaves D·x out,
    // "dt_softplus" takes dt as dt_proj gives it, "dt_bias" leaves dt_proj's bias out, "selection_norms" the norms, "gate" the gate.
    private double[][] Mamba1(string p, double[][] xs, int inner, int state, int taps, int rank, Func<string, double[], double[]>? norm)
    {
        int n = xs.Length;
        var projected = xs.Select(r => Affine(p + "in_proj", r)).ToArray();
        var conv = CausalConv(p, projected, 0, inner, taps);
        float[] aLog = _w[p + "A_log"], skip = _w[p + "D"];
        var ssm = new double[inner, state];
        var output = new double[n][];
        for (var t = 0; t < n; t++)
        {
            var selected = Affine(p + "x_proj", conv[t]);
            double[] dtIn = selected[..rank], b = selected[rank..(rank + state)], c = selected[(rank + state)..];
            if (norm != null && _drop != "selection_norms") (dtIn, b, c) = (norm("dt", dtIn), norm("b", b), norm("c", c));
            var dt = Affine(p + "dt_proj", dtIn, bias: _drop != "dt_bias").Select(v => _drop == "dt_softplus" ? v : Math.Log(1 + Math.Exp(v))).ToArray();
            var y = new double[inner];
            for (var ch = 0; ch < inner; ch++)
            {
                var xv = conv[t][ch];
                double sum = 0;
                for (var s = 0; s < state; s++)
                {
                    var a = _drop == "a_exp" ? -aLog[ch * state + s] : -Math.Exp(aLog[ch * state + s]);
                    ssm[ch, s] = ssm[ch, s] * (_drop == "ssm_decay" ? 1 : Math.Exp(dt[ch] * a)) + dt[ch] * xv * b[s];
                    sum += ssm[ch, s] * c[s];
                }
                var z = projected[t][inner + ch];
                y[ch] = (sum + (_drop == "ssm_skip" ? 0 : skip[ch] * xv)) * (_drop == "gate" ? 1 : z / (1 + Math.Exp(-z)));
            }
            output[t] = Affine(p + "out_proj", y);
        }
        return output;
    }

    // v RMS-normed with epsilon eps, times the weights w where given.
    private static double[] Rms(double[] v, double eps, float[]? w)
    {
        var inv = 1 / Math.Sqrt(v.Average(e => e * e) + eps);
        return v.Select((e, i) => e * inv * (w?[i] ?? 1)).ToArray();
    }
}
