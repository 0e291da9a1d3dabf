namespace Moxing.Models.Tests.Families;

// FalconH1Model: embeddings × embedding_multiplier; per layer input_layernorm, then FalconH1Mixer over it × ssm_in_multiplier (its
// in_proj output × the mup vector: ssm_multipliers over z, x, B, C, dt), × ssm_out_multiplier, plus FalconH1Attention over it ×
// attention_in_multiplier (keys × key_multiplier, rotate_half RoPE), × attention_out_multiplier; the residual; pre_ff_layernorm and
// FalconH1MLP down(up x · silu(gate x · mlp_multipliers[0])) × mlp_multipliers[1]; the residual; final_layernorm; lm_head ×
// lm_head_multiplier. Each multiplier can be dropped by its name ("ssm_multipliers" the mup vector).
internal sealed partial class DenseReference
{
    private double[][] FalconH1Forward(int[] ids)
    {
        int h = I("hidden_size"), heads = I("num_attention_heads"), kvHeads = I("num_key_value_heads"), hd = I("head_dim"), n = ids.Length;
        double M(string key) => _drop == key ? 1 : D(key, 1);
        int inner = I("mamba_d_ssm"), mambaHeads = I("mamba_n_heads"), groups = I("mamba_n_groups"), state = I("mamba_d_state");
        // compute_mup_vector: z and x parts of inner, B and C of groups × state, dt of the heads.
        int[] ends = [inner, 2 * inner, 2 * inner + groups * state, 2 * inner + 2 * groups * state, 2 * inner + 2 * groups * state + mambaHeads];
        var mup = new double[ends[^1]];
        for (int part = 0, i = 0; part < 5; part++)
            for (; i < ends[part]; i++) mup[i] = _drop == "ssm_multipliers" ? 1 : (double)_c["ssm_multipliers"]![part]!;
        double[] mlp = _drop == "mlp_multipliers" ? [1, 1] : [(double)_c["mlp_multipliers"]![0]!, (double)_c["mlp_multipliers"]![1]!];
        LongRope(n);
        var x = ids.Select(id => _w["model.embed_tokens.weight"].AsSpan(id * h, h).ToArray().Select(v => v * M("embedding_multiplier")).ToArray()).ToArray();
        for (var l = 0; l < I("num_hidden_layers"); l++)
        {
            var p = $"model.layers.{l}.";
            // FalconH1Attention multiplies the keys by key_multiplier; without biases that is k_proj's weights times it.
            var k = _w[p + "self_attn.k_proj.weight"];
            _w[p + "self_attn.k_proj.weight"] = [.. k.Select(v => (float)(v * M("key_multiplier")))];
            var normed = x.Select(r => Norm(r, p + "input_layernorm")).ToArray();
            var mamba = Mamba2(p + "mamba.", normed.Select(r => r.Select(v => v * M("ssm_in_multiplier")).ToArray()).ToArray(), mambaHeads, inner, state, groups,
                I("mamba_d_conv"), groups, mup, normed: B("mamba_rms_norm"));
            var attended = Attention(p, normed.Select(r => r.Select(v => v * M("attention_in_multiplier")).ToArray()).ToArray(), heads, kvHeads, hd, hd,
                1 / Math.Sqrt(hd), 0, _drop, rotate: true);
            _w[p + "self_attn.k_proj.weight"] = k;
            for (var t = 0; t < n; t++)
            {
                for (var d = 0; d < h; d++) x[t][d] += mamba[t][d] * M("ssm_out_multiplier") + attended[t][d] * M("attention_out_multiplier");
                var f = Norm(x[t], p + "pre_ff_layernorm");
                var gate = Affine(p + "feed_forward.gate_proj", f).Select(g => g * mlp[0]).ToArray();
                var up = Affine(p + "feed_forward.up_proj", f);
                var down = Affine(p + "feed_forward.down_proj", up.Select((u, i) => u * gate[i] / (1 + Math.Exp(-gate[i]))).ToArray());
                for (var d = 0; d < h; d++) x[t][d] += down[d] * mlp[1];
            }
        }
        return x.Select(r => Affine("lm_head", Norm(r, "model.final_layernorm")).Select(z => z * M("lm_head_multiplier")).ToArray()).ToArray();
    }
}
