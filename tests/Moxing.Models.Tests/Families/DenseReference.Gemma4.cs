namespace Moxing.Models.Tests.Families;

// Gemma4TextModel: embeddings × sqrt(hidden); per-layer inputs (norm(proj(x) / sqrt(hidden)) + table · sqrt(width)) / sqrt(2);
// per layer input_layernorm, Gemma4TextAttention (q/k RMSNorms of their head size, v normed without weights, scale 1, full layers
// of global_head_dim with proportional RoPE and keys as values, the last num_kv_shared_layers reading the keys and values of
// the last earlier layer of their type), post_attention_layernorm, the residual, pre/post_feedforward_layernorm around the
// GeGLU (double-wide on the sharing layers) and with enable_moe_block the experts beside it, the residual, the per-layer input's
// gated projection, the layer_scalar; final norm, tied head, soft-capping.
internal sealed partial class DenseReference
{
    private double[][] Gemma4Forward(int[] ids)
    {
        if (_type == "gemma4")
        {
            _c = _c["text_config"]!.AsObject();
            _w = _w.Where(e => e.Key.StartsWith("model.language_model.", StringComparison.Ordinal))
                .ToDictionary(e => "model." + e.Key["model.language_model.".Length..], e => e.Value);
        }
        _type = "gemma4_text";
        int h = I("hidden_size"), layers = I("num_hidden_layers"), n = ids.Length, perLayer = (int?)_c["hidden_size_per_layer_input"] ?? 0;
        var shared = I("num_kv_shared_layers");
        var types = _c["layer_types"]!.AsArray().Select(t => (string)t!).ToArray();
        var x = ids.Select(id => _w["model.embed_tokens.weight"].AsSpan(id * h, h).ToArray().Select(v => v * Math.Sqrt(h)).ToArray()).ToArray();
        var inputs = perLayer > 0 && _drop != "per_layer_inputs" ? PerLayerInputs(ids, x, layers, perLayer) : null;
        var stored = new (double[][] K, double[][] V)[layers];
        for (var l = 0; l < layers; l++)
        {
            var p = $"model.layers.{l}.";
            // Gemma4TextAttention.store_full_length_kv: the last layer of each type before the sharing ones lends its keys and values.
            var source = l < layers - shared ? l : _drop == "kv_sharing" ? layers - shared - 1 : Array.FindLastIndex(types, layers - shared - 1, layers - shared, t => t == types[l]);
            var attended = Gemma4Attention(p, x.Select(r => Norm(r, p + "input_layernorm")).ToArray(), types[l] == "full_attention", stored, l, source);
            for (var t = 0; t < n; t++)
            {
                var a = Norm(attended[t], p + "post_attention_layernorm");
                for (var d = 0; d < h; d++) x[t][d] += a[d];
                var m = Mlp(p, Norm(x[t], p + "pre_feedforward_layernorm"));
                if (B("enable_moe_block")) m = Gemma4Experts(p, x[t], m);
                m = Norm(m, p + "post_feedforward_layernorm");
                for (var d = 0; d < h; d++) x[t][d] += m[d];
                if (inputs != null)
                {
                    var gate = Affine(p + "per_layer_input_gate", x[t]).Select((g, i) => GeluTanh(g) * inputs[t][l * perLayer + i]).ToArray();
                    var added = Norm(Affine(p + "per_layer_projection", gate), p + "post_per_layer_input_norm");
                    for (var d = 0; d < h; d++) x[t][d] += added[d];
                }
                var scalar = _drop == "layer_scalar" ? 1 : _w[p + "layer_scalar"][0];
                for (var d = 0; d < h; d++) x[t][d] *= scalar;
            }
        }
        var cap = D("final_logit_softcapping", 0);
        return x.Select(r => Affine("model.embed_tokens", Norm(r, "model.norm")).Select(z => cap > 0 ? cap * Math.Tanh(z / cap) : z).ToArray()).ToArray();
    }

    // Gemma4TextModel.get_per_layer_inputs and project_per_layer_inputs, every layer's slice of every token.
    private double[][] PerLayerInputs(int[] ids, double[][] x, int layers, int width)
    {
        var h = x[0].Length;
        return ids.Select((id, t) =>
        {
            var projected = Affine("model.per_layer_model_projection", x[t]).Select(v => v / Math.Sqrt(h)).ToArray();
            var table = _w["model.embed_tokens_per_layer.weight"].AsSpan(id * layers * width, layers * width).ToArray();
            return Enumerable.Range(0, layers).SelectMany(l => Norm(projected[(l * width)..((l + 1) * width)], "model.per_layer_projection_norm")
                .Select((v, i) => (v + table[l * width + i] * Math.Sqrt(width)) / Math.Sqrt(2))).ToArray();
        }).ToArray();
    }

    private double[][] Gemma4Attention(string p, double[][] xs, bool full, (double[][] K, double[][] V)[] stored, int layer, int source)
    {
        int n = xs.Length, heads = I("num_attention_heads"), hd = full && _c.ContainsKey("global_head_dim") ? I("global_head_dim") : I("head_dim");
        var keysAsValues = full && B("attention_k_eq_v");
        var kvHeads = keysAsValues ? I("num_global_key_value_heads") : I("num_key_value_heads");
        var rope = (_c["rope_parameters"]![full ? "full_attention" : "sliding_attention"])!.AsObject();
        var theta = (double)rope["rope_theta"]!;
        // "proportional": the first partial_rotary_factor of the pairs at theta^(−2i/head_dim), the rest unrotated (dropped: a
        // partial rotation of that many dimensions, its exponents over them).
        var proportional = (string?)rope["rope_type"] == "proportional";
        var pairs = proportional ? (int)((double)rope["partial_rotary_factor"]! * hd / 2) : hd / 2;
        var exponentBase = proportional && _drop == "proportional" ? 2 * pairs : hd;
        double[] Rotated(double[] v, int position)
        {
            var r = v.ToArray();
            var half = proportional && _drop == "proportional" ? pairs : hd / 2;
            for (var head = 0; head < v.Length / hd; head++)
                for (var i = 0; i < pairs; i++)
                {
                    var angle = position / Math.Pow(theta, 2.0 * i / exponentBase);
                    int a = head * hd + i, b = a + half;
                    (r[a], r[b]) = (v[a] * Math.Cos(angle) - v[b] * Math.Sin(angle), v[b] * Math.Cos(angle) + v[a] * Math.Sin(angle));
                }
            return r;
        }
        var q = xs.Select((r, t) => Rotated(RmsHeads(Affine(p + "self_attn.q_proj", r), hd, p + "self_attn.q_norm"), t)).ToArray();
        if (source == layer)
        {
            var raw = xs.Select(r => Affine(p + "self_attn.k_proj", r)).ToArray();
            // attention_k_eq_v: the raw key projection serves as the values (dropped: the normed, rotated keys).
            var keys = raw.Select((k, t) => Rotated(RmsHeads(k, hd, p + "self_attn.k_norm"), t)).ToArray();
            var values = keysAsValues ? (_drop == "k_eq_v" ? keys : raw) : xs.Select(r => Affine(p + "self_attn.v_proj", r)).ToArray();
            stored[layer] = (keys, _drop == "v_norm" ? values : values.Select(v => UnweightedHeads(v, hd)).ToArray());
        }
        var (k, vs) = stored[source];
        var window = full ? 0 : I("sliding_window");
        var scale = _drop == "attention_scale" ? 1 / Math.Sqrt(hd) : 1;
        return Enumerable.Range(0, n).Select(t => Affine(p + "self_attn.o_proj", Attended(q, k, vs, t, heads, heads / kvHeads, hd, scale, window))).ToArray();
    }

    // Gemma4TextDecoderLayer's enable_moe_block: post_feedforward_layernorm_1 of the MLP's output plus post_feedforward_layernorm_2
    // of the experts on pre_feedforward_layernorm_2 of the stream x; Gemma4TextRouter: x normed without weights, times router.scale
    // and 1/√hidden, projected; the top_k_experts of the softmax over their sum, times per_expert_scale. Dropped: "router_norm"
    // (the router reads the MLP's normed input), "expert_scale" (no per-expert scale), "branch_norms" (the experts read the MLP's
    // normed input, no norm after either branch).
    private double[] Gemma4Experts(string p, double[] x, double[] mlp)
    {
        int h = x.Length, ff = I("moe_intermediate_size");
        var routerInput = _drop == "router_norm" ? Norm(x, p + "pre_feedforward_layernorm")
            : UnweightedHeads(x, h).Select((v, i) => v * _w[p + "router.scale"][i] / Math.Sqrt(h)).ToArray();
        var input = Norm(x, p + (_drop == "branch_norms" ? "pre_feedforward_layernorm" : "pre_feedforward_layernorm_2"));
        double[] gateUp = [.. _w[p + "experts.gate_up_proj"].Select(v => (double)v)], down = [.. _w[p + "experts.down_proj"].Select(v => (double)v)];
        var routed = Routed(Affine(p + "router.proj", routerInput), I("top_k_experts"), normalise: true, (e, weight, sum) =>
        {
            var gate = Product(gateUp, (long)e * 2 * ff * h, ff, input);
            var up = Product(gateUp, ((long)e * 2 * ff + ff) * h, ff, input);
            var scale = _drop == "expert_scale" ? 1 : _w[p + "router.per_expert_scale"][e];
            Accumulate(sum, weight * scale, Product(down, (long)e * h * ff, h, gate.Select((g, i) => GeluTanh(g) * up[i]).ToArray()));
        });
        if (_drop == "branch_norms") return Accumulate(routed, 1, mlp);
        return Accumulate(Norm(routed, p + "post_feedforward_layernorm_2"), 1, Norm(mlp, p + "post_feedforward_layernorm_1"));
    }

    // Gemma4RMSNorm(with_scale=False) on each head.
    private double[] UnweightedHeads(double[] v, int hd) => Enumerable.Range(0, v.Length / hd).SelectMany(h =>
    {
        var head = v[(h * hd)..((h + 1) * hd)];
        var inv = 1 / Math.Sqrt(head.Average(x => x * x) + D("rms_norm_eps", 1e-6));
        return head.Select(x => x * inv);
    }).ToArray();
}
