using System.Text.Json.Nodes;

namespace Moxing.Models.Tests.Families;

// Llama4ForCausalLM (transformers' modeling_llama4.py) in double precision, with the switches a test may drop: "router_input"
// (the sigmoid weight on the expert's output), "shared_expert", "nope" (every layer rotates), "qk_norm", "chunk" (full causal
// attention), "temperature" and "interleaved" (rotate_half's pairs).
internal sealed partial class DenseReference
{
    // Llama4ForConditionalGeneration's text model: its text_config and language_model.* tensors (the vision ones left out).
    private static (JsonObject Config, Dictionary<string, float[]> Weights) Llama4Text(JsonObject c, Dictionary<string, float[]> w) =>
        (string?)c["model_type"] != "llama4" ? (c, w) : (c["text_config"]!.AsObject(),
            w.Where(e => e.Key.StartsWith("language_model.", StringComparison.Ordinal)).ToDictionary(e => e.Key["language_model.".Length..], e => e.Value));

    private double[][] Llama4Forward(int[] ids)
    {
        int h = I("hidden_size"), n = ids.Length, layers = I("num_hidden_layers");
        var x = ids.Select(id => _w["model.embed_tokens.weight"].AsSpan(id * h, h).ToArray().Select(v => (double)v).ToArray()).ToArray();
        for (var l = 0; l < layers; l++)
        {
            var p = $"model.layers.{l}.";
            // Llama4TextConfig: no_rope_layers[i] = int((i + 1) % no_rope_layer_interval != 0); chunked_attention where it rotates.
            var rotates = (l + 1) % I("no_rope_layer_interval") != 0 || _drop == "nope";
            var attended = Llama4Attention(p, x.Select(r => Norm(r, p + "input_layernorm")).ToArray(), rotates);
            for (var t = 0; t < n; t++)
            {
                for (var d = 0; d < h; d++) x[t][d] += attended[t][d];
                var m = Llama4FeedForward(p, Norm(x[t], p + "post_attention_layernorm"), TinyHfFolder.Llama4Sparse(_c, l));
                for (var d = 0; d < h; d++) x[t][d] += m[d];
            }
        }
        return x.Select(r => Affine("lm_head", Norm(r, "model.norm"))).ToArray();
    }

    // Llama4TextAttention: RoPE by complex products of adjacent pairs, then Llama4TextL2Norm of each head (use_qk_norm), on rotating
    // layers; q × (log1p(floor((pos + 1) / floor_scale)) · attn_scale + 1) on the others; a rotating layer's token sees its chunk.
    private double[][] Llama4Attention(string p, double[][] xs, bool rotates)
    {
        int n = xs.Length, heads = I("num_attention_heads"), kvHeads = I("num_key_value_heads"), hd = I("head_dim"), group = heads / kvHeads;
        var q = xs.Select(r => Affine(p + "self_attn.q_proj", r)).ToArray();
        var k = xs.Select(r => Affine(p + "self_attn.k_proj", r)).ToArray();
        var v = xs.Select(r => Affine(p + "self_attn.v_proj", r)).ToArray();
        for (var t = 0; t < n; t++)
        {
            if (rotates)
            {
                Rope(q[t], hd, hd, t, _drop != "interleaved");
                Rope(k[t], hd, hd, t, _drop != "interleaved");
                if (_drop != "qk_norm") (q[t], k[t]) = (UnitHeads(q[t], hd), UnitHeads(k[t], hd));
            }
            else if (_drop != "temperature")
            {
                var scale = Math.Log(Math.Floor((t + 1.0) / D("floor_scale", 8192)) + 1) * D("attn_scale", 0.1) + 1;
                q[t] = q[t].Select(z => z * scale).ToArray();
            }
        }
        var chunk = rotates && _drop != "chunk" ? I("attention_chunk_size") : 0;
        var output = new double[n][];
        for (var t = 0; t < n; t++)
        {
            var attended = new double[heads * hd];
            var first = chunk > 0 ? t - t % chunk : 0;
            for (var head = 0; head < heads; head++)
            {
                var g = head / group;
                var scores = Enumerable.Range(first, t - first + 1)
                    .Select(j => Enumerable.Range(0, hd).Sum(d => q[t][head * hd + d] * k[j][g * hd + d]) / Math.Sqrt(hd)).ToArray();
                var max = scores.Max();
                var sum = scores.Sum(s => Math.Exp(s - max));
                for (var j = first; j <= t; j++)
                    for (var d = 0; d < hd; d++) attended[head * hd + d] += Math.Exp(scores[j - first] - max) / sum * v[j][g * hd + d];
            }
            output[t] = Affine(p + "self_attn.o_proj", attended);
        }
        return output;
    }

    // x · rsqrt(mean(x²) + rms_norm_eps) of each head.
    private double[] UnitHeads(double[] v, int hd)
    {
        var result = new double[v.Length];
        for (var head = 0; head < v.Length / hd; head++)
        {
            var row = v.AsSpan(head * hd, hd).ToArray();
            var inv = 1 / Math.Sqrt(row.Average(z => z * z) + D("rms_norm_eps", 1e-5));
            for (var d = 0; d < hd; d++) result[head * hd + d] = row[d] * inv;
        }
        return result;
    }

    // Llama4TextMoe: the top-k router logits' sigmoids scale the experts' inputs (gate_up_proj [E, hidden, 2·ff] gate columns first,
    // down_proj [E, ff, hidden], both x·W), the shared expert's output is added; Llama4TextMLP elsewhere.
    private double[] Llama4FeedForward(string p, double[] x, bool sparse)
    {
        var f = p + "feed_forward.";
        if (!sparse) return GatedMlp(f, x);
        var logits = Affine(f + "router", x);
        var y = _drop == "shared_expert" ? new double[x.Length] : GatedMlp(f + "shared_expert.", x);
        var chosen = Enumerable.Range(0, logits.Length).OrderByDescending(e => logits[e]).ThenBy(e => e).Take(I("num_experts_per_tok"));
        foreach (var e in chosen)
        {
            var score = 1 / (1 + Math.Exp(-logits[e]));
            var input = _drop == "router_input" ? x : x.Select(z => z * score).ToArray();
            Accumulate(y, _drop == "router_input" ? score : 1, FusedExpert(f + "experts.", e, input));
        }
        return y;
    }

    private double[] FusedExpert(string prefix, int e, double[] x)
    {
        int h = x.Length, ff = I("intermediate_size");
        var (gateUp, down) = (_w[prefix + "gate_up_proj"], _w[prefix + "down_proj"]);
        double Column(float[] w, int rows, int cols, int c, double[] input) =>
            Enumerable.Range(0, rows).Sum(r => input[r] * w[((long)e * rows + r) * cols + c]);
        var act = Enumerable.Range(0, ff).Select(i =>
        {
            double gate = Column(gateUp, h, 2 * ff, i, x), up = Column(gateUp, h, 2 * ff, ff + i, x);
            return gate / (1 + Math.Exp(-gate)) * up;
        }).ToArray();
        return Enumerable.Range(0, h).Select(c => Column(down, ff, h, c, act)).ToArray();
    }
}
