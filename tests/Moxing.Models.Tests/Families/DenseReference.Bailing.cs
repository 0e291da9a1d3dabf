namespace Moxing.Models.Tests.Families;

// Ling / Bailing MoE (v1, and Ling 2.0's v2 whose routing is DeepSeekMoe's) as its remote modeling code states it: Llama's block under its own names with q, k and v split from
// query_key_value as stored ([q; k; v]), BailingMoeSparseMoeBlock's experts, and norm_head's normalised LM head. Switches a test may
// drop: "norm_head" (the head as stored), "top_k_normalisation", "shared_expert".
internal sealed partial class DenseReference
{
    private void BailingAsLlama(string? drop)
    {
        RenamedAsLlama(drop);
        int heads = I("num_attention_heads"), kvHeads = I("num_key_value_heads"), hd = I("head_dim"), h = I("hidden_size");
        for (var l = 0; l < I("num_hidden_layers"); l++)
        {
            var p = $"model.layers.{l}.";
            var fused = _w[p + "attention.query_key_value.weight"];
            _w[p + "self_attn.q_proj.weight"] = fused[..(heads * hd * h)];
            _w[p + "self_attn.k_proj.weight"] = fused[(heads * hd * h)..((heads + kvHeads) * hd * h)];
            _w[p + "self_attn.v_proj.weight"] = fused[((heads + kvHeads) * hd * h)..];
            // Ling 2.0's q/k norms and the gate's expert_bias under the names the shared statements read.
            Rename(p + "attention.query_layernorm", p + "self_attn.q_norm");
            Rename(p + "attention.key_layernorm", p + "self_attn.k_norm");
            if (_w.TryGetValue(p + "mlp.gate.expert_bias", out var bias)) _w[p + "mlp.gate.e_score_correction_bias"] = bias;
        }
        if (!B("norm_head") || drop == "norm_head") return;
        // BailingMoeForCausalLM.compute_logit: lm_head / (‖lm_head‖₂ over dim 0, the vocabulary + 1e-7).
        var head = _w["lm_head.weight"];
        var norms = new double[h];
        for (var i = 0; i < head.Length; i++) norms[i % h] += (double)head[i] * head[i];
        _w["lm_head.weight"] = head.Select((v, i) => (float)(v / (Math.Sqrt(norms[i % h]) + 1e-7))).ToArray();
    }

    // BailingMoeSparseMoeBlock: softmax top-k, renormalised when norm_topk_prob and more than one is chosen; SiLU-gated experts,
    // shared_experts added.
    private double[] BailingMoe(string p, double[] x)
    {
        var k = I("num_experts_per_tok");
        var y = Routed(Affine(p + "mlp.gate", x), k, normalise: B("norm_topk_prob") && k > 1, (e, weight, sum) => Accumulate(sum, weight, GatedMlp($"{p}mlp.experts.{e}.", x)));
        return _drop == "shared_expert" ? y : Accumulate(y, 1, GatedMlp(p + "mlp.shared_experts.", x));
    }
}
