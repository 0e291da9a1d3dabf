namespace Moxing.Models.Tests.Families;

// GraniteMoeHybridModel: embeddings × embedding_multiplier; per layer input_layernorm, then BambaMixer (torch_forward, the
// recurrence token by token) or Granite's attention (no positions unless position_embedding_type is rope), × residual_multiplier;
// post_attention_layernorm, the experts plus the shared MLP (or the shared MLP alone), × residual_multiplier; norm; logits ÷
// logits_scaling.
internal sealed partial class DenseReference
{
    private double[][] GraniteHybridForward(int[] ids)
    {
        int h = I("hidden_size"), heads = I("num_attention_heads"), kvHeads = I("num_key_value_heads"), hd = h / heads, n = ids.Length;
        double embed = D("embedding_multiplier", 1), residual = D("residual_multiplier", 1);
        LongRope(n);
        var x = ids.Select(id => _w["model.embed_tokens.weight"].AsSpan(id * h, h).ToArray().Select(v => v * embed).ToArray()).ToArray();
        for (var l = 0; l < I("num_hidden_layers"); l++)
        {
            var p = $"model.layers.{l}.";
            var normed = x.Select(r => Norm(r, p + "input_layernorm")).ToArray();
            var mixed = (string?)_c["layer_types"]![l] == "mamba"
                ? Mamba2(p + "mamba.", normed, I("mamba_n_heads"), I("mamba_expand") * h, I("mamba_d_state"), I("mamba_n_groups"), I("mamba_d_conv"), normGroups: 1)
                : Attention(p, normed, heads, kvHeads, hd, hd, D("attention_multiplier", 1), 0, _drop, rotate: (string?)_c["position_embedding_type"] == "rope");
            for (var t = 0; t < n; t++)
            {
                for (var d = 0; d < h; d++) x[t][d] += residual * mixed[t][d];
                var inner = Norm(x[t], p + "post_attention_layernorm");
                var m = _w.ContainsKey(p + "block_sparse_moe.router.layer.weight") ? GraniteMoe(p, inner) : SharedMlp(p, inner);
                for (var d = 0; d < h; d++) x[t][d] += residual * m[d];
            }
        }
        var head = _w.ContainsKey("lm_head.weight") ? "lm_head" : "model.embed_tokens";
        return x.Select(r => Affine(head, Norm(r, "model.norm")).Select(z => z / D("logits_scaling", 1)).ToArray()).ToArray();
    }

    private double[] SharedMlp(string p, double[] x)
    {
        double[] sharedIn = [.. _w[p + "shared_mlp.input_linear.weight"].Select(v => (double)v)];
        double[] sharedOut = [.. _w[p + "shared_mlp.output_linear.weight"].Select(v => (double)v)];
        return GatedHalves(sharedIn, sharedOut, 0, I("shared_intermediate_size"), x);
    }

    // BambaMixer.torch_forward (NemotronHMamba2Mixer's, Zamba2's) without a cache, the mixer's tensors under prefix p: in_proj → gate
    // z, x·B·C, dt; Conv1d(groups = channels, padding taps − 1) of x·B·C, its first n outputs, SiLU; per head h (group h / (heads /
    // groups)): dt = softplus(dt + dt_bias), state ← state·exp(dt·A) + dt·x·Bᵀ with A = −exp(A_log), y = state·C + D·x; the gated
    // norm RMSNorm(y·SiLU(z)) in normGroups groups (Bamba's over the whole inner width, Zamba2RMSNormGated's per B/C group; Falcon-H1
    // without mamba_rms_norm: none); out_proj. Falcon-H1 multiplies in_proj's outputs by its mup vector.
    // Dropped: "ssm_decay" keeps the state undecayed (exp(dt·A) = 1), "ssm_skip" leaves D·x out, "conv_silu" the SiLU,
    // "ssm_norm_groups" norms the whole width.
    private double[][] Mamba2(string p, double[][] xs, int heads, int inner, int state, int groups, int taps, int normGroups, double[]? mup = null, bool normed = true)
    {
        int n = xs.Length, headDim = inner / heads, channels = inner + 2 * groups * state;
        var projected = xs.Select(r => Affine(p + "in_proj", r).Select((v, i) => v * (mup?[i] ?? 1)).ToArray()).ToArray();
        var conv = CausalConv(p, projected, inner, channels, taps);
        var ssm = new double[heads, headDim, state];
        var output = new double[n][];
        for (var t = 0; t < n; t++)
        {
            var y = new double[inner];
            for (var head = 0; head < heads; head++)
            {
                var g = head / (heads / groups);
                var raw = projected[t][inner + channels + head] + _w[p + "dt_bias"][head];
                var dt = Math.Log(1 + Math.Exp(raw));
                var decay = _drop == "ssm_decay" ? 1 : Math.Exp(dt * -Math.Exp(_w[p + "A_log"][head]));
                for (var q = 0; q < headDim; q++)
                {
                    var xv = conv[t][head * headDim + q];
                    double sum = 0;
                    for (var s = 0; s < state; s++)
                    {
                        ssm[head, q, s] = ssm[head, q, s] * decay + dt * xv * conv[t][inner + g * state + s];
                        sum += ssm[head, q, s] * conv[t][inner + (groups + g) * state + s];
                    }
                    var z = projected[t][head * headDim + q];
                    y[head * headDim + q] = (sum + (_drop == "ssm_skip" ? 0 : _w[p + "D"][head] * xv)) * (z / (1 + Math.Exp(-z)));
                }
            }
            output[t] = Affine(p + "out_proj", normed ? GroupedRms(y, p + "norm.weight", _drop == "ssm_norm_groups" ? 1 : normGroups) : y);
        }
        return output;
    }

    // Conv1d(groups = channels, padding taps − 1) of the `channels` values of each token's `projected` row from `offset`, with the mixer's
    // conv1d.bias under p where it has one (dropped, "conv_bias": without), its first n outputs through SiLU (dropped, "conv_silu": as they are).
    private double[][] CausalConv(string p, double[][] projected, int offset, int channels, int taps)
    {
        var kernel = _w[p + "conv1d.weight"];
        var bias = _drop == "conv_bias" ? null : _w.GetValueOrDefault(p + "conv1d.bias");
        var conv = new double[projected.Length][];
        for (var t = 0; t < projected.Length; t++)
        {
            conv[t] = new double[channels];
            for (var c = 0; c < channels; c++)
            {
                double sum = bias?[c] ?? 0;
                for (var k = 0; k < taps; k++)
                    if (t - (taps - 1) + k is var j && j >= 0) sum += kernel[c * taps + k] * projected[j][offset + c];
                conv[t][c] = _drop == "conv_silu" ? sum : sum / (1 + Math.Exp(-sum));
            }
        }
        return conv;
    }

    // RMSNorm of each of `groups` equal slices of v, times the weights `name`.
    private double[] GroupedRms(double[] v, string name, int groups)
    {
        var w = _w[name];
        var size = v.Length / groups;
        var y = new double[v.Length];
        for (var g = 0; g < groups; g++)
        {
            var rms = 1 / Math.Sqrt(v.Skip(g * size).Take(size).Average(e => e * e) + D("rms_norm_eps", 1e-6));
            for (var i = g * size; i < (g + 1) * size; i++) y[i] = v[i] * rms * w[i];
        }
        return y;
    }
}
