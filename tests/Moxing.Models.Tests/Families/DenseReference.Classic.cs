namespace Moxing.Models.Tests.Families;

// GPTNeoXModel, BloomModel, MptModel and GPTBigCodeModel over their own names and config keys. GPT-NeoX: per layer LayerNorms
// input_layernorm and post_attention_layernorm, query_key_value viewed as [heads, 3 · head_size] (per head q, k, v; dropped,
// "qkv_heads": read as q, k, v one after the other), rotate_half RoPE on the first int(head_size · rotary_pct) dimensions (dropped,
// "partial_rotary": all), x + attn(ln1 x) + mlp(ln2 x) with use_parallel_residual (dropped, "parallel": one after the other); BLOOM:
// word_embeddings_layernorm (dropped, "embedding_norm"), query_key_value per head, build_alibi_tensor's slopes times each key's position
// added to q·k / sqrt(head_dim) (dropped, "alibi"; "alibi_slopes": every head's slope 2^(−8(h+1)/heads), right only for a power of
// two), bloom_gelu; MPT: Wqkv chunked [q; k; v], clamped to ±clip_qkv (dropped, "clip_qkv"), gen_slopes of alibi_bias_max (dropped,
// "alibi_bias_max": 8; MPT's bias is slope · (key position − last position), the same softmax as slope · key position), no biases,
// exact GELU; GPT-BigCode: wte + wpe (dropped, "positions"), c_attn [q; k; v] with one key/value head under multi_query, else per
// head. transformers' MptModel passes alibi_bias_max 8 whatever the config says (mpt-7b's and mpt-30b's value, as recalled); this
// reads the key as MosaicML's own modeling code and llama.cpp do.
internal sealed partial class DenseReference
{
    private bool Classic => _type is "gpt_neox" or "bloom" or "mpt" or "gpt_bigcode";

    private double[][] ClassicForward(int[] ids)
    {
        int Key(params string[] keys) => keys.Select(k => (int?)_c[k]).First(v => v != null)!.Value;
        int h = Key("hidden_size", "d_model", "n_embd"), heads = Key("num_attention_heads", "n_head", "n_heads"), hd = h / heads, n = ids.Length;
        var multiQuery = _type == "gpt_bigcode" && (bool)_c["multi_query"]!;
        var kvHeads = multiQuery ? 1 : heads;
        var eps = D(_type == "gpt_neox" ? "layer_norm_eps" : "layer_norm_epsilon", 1e-5);
        var (prefix, layer) = _type switch
        {
            "gpt_neox" => ("gpt_neox.", "gpt_neox.layers.{0}."),
            "bloom" => ("", "h.{0}."),
            "mpt" => ("transformer.", "transformer.blocks.{0}."),
            _ => ("transformer.", "transformer.h.{0}."),
        };
        double[] Ln(double[] v, string name) =>
            LayerNorm(v, eps, i => _w[name + ".weight"][i], i => _w.GetValueOrDefault(name + ".bias")?[i] ?? 0);
        var embedding = _w[prefix + (_type switch { "gpt_neox" => "embed_in", "bloom" => "word_embeddings", _ => "wte" }) + ".weight"];
        var x = ids.Select((id, t) => Enumerable.Range(0, h).Select(d => (double)embedding[id * h + d]
            + (_type == "gpt_bigcode" && _drop != "positions" ? _w["transformer.wpe.weight"][t * h + d] : 0)).ToArray()).ToArray();
        if (_type == "bloom" && _drop != "embedding_norm") x = [.. x.Select(r => Ln(r, "word_embeddings_layernorm"))];
        var slopes = _type is "bloom" or "mpt" && _drop != "alibi" ? AlibiSlopes(heads) : null;
        for (var l = 0; l < Key("num_hidden_layers", "n_layer", "n_layers"); l++)
        {
            var p = string.Format(System.Globalization.CultureInfo.InvariantCulture, layer, l);
            var (norm1, qkvName, outName, norm2) = _type switch
            {
                "gpt_neox" => ("input_layernorm", "attention.query_key_value", "attention.dense", "post_attention_layernorm"),
                "bloom" => ("input_layernorm", "self_attention.query_key_value", "self_attention.dense", "post_attention_layernorm"),
                "mpt" => ("norm_1", "attn.Wqkv", "attn.out_proj", "norm_2"),
                _ => ("ln_1", "attn.c_attn", "attn.c_proj", "ln_2"),
            };
            var q = new double[n][];
            var k = new double[n][];
            var v = new double[n][];
            for (var t = 0; t < n; t++)
            {
                var fused = Affine(p + qkvName, Ln(x[t], p + norm1));
                if (_type == "mpt" && _drop != "clip_qkv" && _c["attn_config"]!["clip_qkv"] is { } clip)
                    fused = [.. fused.Select(f => Math.Clamp(f, -(double)clip, (double)clip))];
                // Per head its q, k and v (GPT-NeoX, BLOOM, GPT-BigCode without multi_query), else q, k, v one after the other.
                var perHead = _type is "gpt_neox" or "bloom" || _type == "gpt_bigcode" && !multiQuery;
                double[] Part(int part, int count) => [.. Enumerable.Range(0, count * hd).Select(i => perHead && _drop != "qkv_heads"
                    ? fused[i / hd * 3 * hd + part * hd + i % hd] : fused[(part == 0 ? 0 : h + (part - 1) * count * hd) + i])];
                (q[t], k[t], v[t]) = (Part(0, heads), Part(1, kvHeads), Part(2, kvHeads));
                if (_type != "gpt_neox") continue;
                var rotary = _drop == "partial_rotary" ? hd : (int)(hd * D("rotary_pct", 0.25));
                NeoXRope(q[t], hd, rotary, t);
                NeoXRope(k[t], hd, rotary, t);
            }
            var scale = _type == "gpt_bigcode" && !(bool)_c["scale_attn_weights"]! ? 1 : 1 / Math.Sqrt(hd);
            var attended = Enumerable.Range(0, n).Select(t => Affine(p + outName, Attended(q, k, v, t, heads, heads / kvHeads, hd, scale, 0, slopes))).ToArray();
            var parallel = _type == "gpt_neox" && (bool)_c["use_parallel_residual"]! && _drop != "parallel";
            for (var t = 0; t < n; t++)
            {
                var mlpIn = parallel ? x[t] : x[t].Zip(attended[t], (a, b) => a + b).ToArray();
                var mlp = ClassicMlp(p, Ln(mlpIn, p + norm2));
                x[t] = [.. mlpIn.Select((a, d) => a + mlp[d] + (parallel ? attended[t][d] : 0))];
            }
        }
        var final = prefix + (_type switch { "gpt_neox" => "final_layer_norm", "mpt" => "norm_f", _ => "ln_f" });
        var head = _type == "gpt_neox" ? "embed_out" : prefix + (_type == "bloom" ? "word_embeddings" : "wte");
        return [.. x.Select(r => Affine(head, Ln(r, final)))];
    }

    // The MLP's up projection, activation and down projection; GPT-NeoX's and GPT-BigCode's activation from the config, BLOOM's
    // tanh approximation, MPT's exact GELU.
    private double[] ClassicMlp(string p, double[] x)
    {
        var (up, down) = _type switch
        {
            "mpt" => ("ffn.up_proj", "ffn.down_proj"),
            "gpt_bigcode" => ("mlp.c_fc", "mlp.c_proj"),
            _ => ("mlp.dense_h_to_4h", "mlp.dense_4h_to_h"),
        };
        var activation = _type switch { "gpt_neox" => (string)_c["hidden_act"]!, "gpt_bigcode" => (string)_c["activation_function"]!, "bloom" => "gelu_new", _ => "gelu" };
        return Affine(p + down, [.. Affine(p + up, x).Select(u => activation == "gelu" ? 0.5 * u * (1 + Moxing.Core.Tests.Ops.ReferenceErf.Erf(u / Math.Sqrt(2))) : GeluTanh(u))]);
    }

    // BLOOM's build_alibi_tensor: base 2^(−8/n) over the largest power of two n ≤ heads, its powers 1…n, then the odd powers of
    // 2^(−4/n) for the rest; MPT's gen_slopes: 2^(−max·i/m) for i = 1…m over the smallest power of two m ≥ heads, the odd ones first.
    private double[] AlibiSlopes(int heads)
    {
        if (_drop == "alibi_slopes") return [.. Enumerable.Range(1, heads).Select(i => Math.Pow(2, -8.0 * i / heads))];
        if (_type == "mpt")
        {
            var m = 1 << (int)Math.Ceiling(Math.Log2(heads));
            var max = _drop == "alibi_bias_max" ? 8 : (double)_c["attn_config"]!["alibi_bias_max"]!;
            var all = Enumerable.Range(1, m).Select(i => 1 / Math.Pow(2, i * max / m)).ToArray();
            return m == heads ? all : [.. all.Where((_, i) => i % 2 == 1).Concat(all.Where((_, i) => i % 2 == 0)).Take(heads)];
        }
        var closest = 1 << (int)Math.Floor(Math.Log2(heads));
        var b = Math.Pow(2, -Math.Pow(2, -(Math.Log2(closest) - 3)));
        var slopes = Enumerable.Range(1, closest).Select(i => Math.Pow(b, i));
        var extra = Math.Pow(2, -Math.Pow(2, -(Math.Log2(2 * closest) - 3)));
        return [.. slopes.Concat(Enumerable.Range(0, heads - closest).Select(i => Math.Pow(extra, 2 * i + 1)))];
    }

    // GPTNeoXRotaryEmbedding: rotate_half over the first `rotary` dimensions of each head, base rotary_emb_base.
    private void NeoXRope(double[] v, int hd, int rotary, int position)
    {
        var half = rotary / 2;
        for (var head = 0; head < v.Length / hd; head++)
            for (var i = 0; i < half; i++)
            {
                var angle = position / Math.Pow(D("rotary_emb_base", 10000), 2.0 * i / rotary);
                int a = head * hd + i, b = a + half;
                (v[a], v[b]) = (v[a] * Math.Cos(angle) - v[b] * Math.Sin(angle), v[b] * Math.Cos(angle) + v[a] * Math.Sin(angle));
            }
    }
}
