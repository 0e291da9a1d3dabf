using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Moxing.Core.Formats.Safetensors;

namespace Moxing.Inference.Tests.Conformance;

/// <summary>
/// A deliberately plain, double-precision re-statement of transformers' Llama / Mistral / Gemma 2 / Gemma 3 forward pass over
/// float32 HF checkpoints: the test oracle for families without a fixture. It is itself checked against llama-tiny's
/// transformers reference, so it only has to get each family's small delta right. RoPE follows modeling_rope_utils.py
/// (default, linear, longrope, dynamic; partial_rotary_factor), read from either config layout; Phi-3's fused projections are split.
/// Gemma 3: (1 + w) q/k norms per head before RoPE, sliding layers by layer_types or sliding_window_pattern, whose RoPE is
/// rope_local_base_freq unscaled (or rope_parameters["sliding_attention"]).
/// Mixtral, Qwen2/3-MoE and OLMoE: q/k RMSNorm per head or over the whole projection (by the weight's length), and the sparse
/// MoE block of transformers (softmax over all experts, top-k with ties to the lower index, renormalised for Mixtral or
/// norm_topk_prob, Qwen2-MoE's sigmoid-gated shared expert, mlp_only_layers / decoder_sparse_step).
/// </summary>
public sealed class NaiveDecoder
{
    private readonly Dictionary<string, float[]> _w = [];
    private readonly JsonNode _c;
    private readonly bool _gemma;
    private readonly bool _gemma3;

    public NaiveDecoder(string folder)
    {
        _c = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!;
        _gemma3 = (string)_c["model_type"]! == "gemma3_text";
        _gemma = _gemma3 || (string)_c["model_type"]! == "gemma2";
        using var f = SafetensorsFile.Open(Path.Combine(folder, "model.safetensors"));
        foreach (var t in f.Tensors) _w[t.Name] = MemoryMarshal.Cast<byte, float>(t.Bytes).ToArray();
        Unfuse();
    }

    // Phi-3 stores q/k/v as one qkv_proj and gate/up as one gate_up_proj: row blocks of the separate matrices.
    private void Unfuse()
    {
        int h = I("hidden_size"), q = I("num_attention_heads") * I("head_dim"), kv = I("num_key_value_heads") * I("head_dim");
        foreach (var name in _w.Keys.ToArray())
        {
            var w = _w[name];
            if (name.Contains(".qkv_proj."))
            {
                _w[name.Replace("qkv_proj", "q_proj")] = w[..(q * h)];
                _w[name.Replace("qkv_proj", "k_proj")] = w[(q * h)..((q + kv) * h)];
                _w[name.Replace("qkv_proj", "v_proj")] = w[((q + kv) * h)..];
            }
            else if (name.Contains(".gate_up_proj."))
            {
                _w[name.Replace("gate_up_proj", "gate_proj")] = w[..(w.Length / 2)];
                _w[name.Replace("gate_up_proj", "up_proj")] = w[(w.Length / 2)..];
            }
        }
    }

    /// <summary>Hears the weight name and input vector of every matrix-vector product (what an importance matrix sums).</summary>
    public Action<string, double[]>? MatVecInput { get; set; }

    private int I(string k) => (int)_c[k]!;
    private double D(string k, double fallback) => _c[k] is { } v ? (double)v : fallback;

    /// <summary>
    /// Logits [L, vocab] for the prompt; RoPE computed for transformers' seq_len = <paramref name="ropeLength"/>, by default the
    /// prompt's length (max(position_ids) + 1 of a single forward call).
    /// </summary>
    public double[][] Forward(int[] ids, int? ropeLength = null)
    {
        int h = I("hidden_size"), nh = I("num_attention_heads"), nkv = I("num_key_value_heads"), hd = I("head_dim");
        int layers = I("num_hidden_layers"), vocab = I("vocab_size"), n = ids.Length;
        var eps = D("rms_norm_eps", 1e-6);
        var fullRope = RopeSchedule(hd, ropeLength ?? n, "full_attention");
        var slidingRope = RopeSchedule(hd, ropeLength ?? n, "sliding_attention");
        var window = _c["sliding_window"] is { } sw ? (int)sw : 0;
        var x = new double[n][];
        for (var t = 0; t < n; t++)
            x[t] = Row("model.embed_tokens.weight", ids[t], h).Select(v => v * (_gemma ? Math.Sqrt(h) : 1)).ToArray();
        for (var l = 0; l < layers; l++)
        {
            var p = $"model.layers.{l}.";
            var xn = x.Select(r => Norm(r, p + "input_layernorm.weight", eps)).ToArray();
            var q = xn.Select(r => MatVec(p + "self_attn.q_proj.weight", r)).ToArray();
            var k = xn.Select(r => MatVec(p + "self_attn.k_proj.weight", r)).ToArray();
            var v = xn.Select(r => MatVec(p + "self_attn.v_proj.weight", r)).ToArray();
            var slidingLayer = window > 0 && Slides(l);
            var (invFreq, cosSinScale) = slidingLayer ? slidingRope : fullRope;
            if (_w.ContainsKey(p + "self_attn.q_norm.weight"))
                for (var t = 0; t < n; t++)
                {
                    q[t] = HeadNorm(q[t], p + "self_attn.q_norm.weight", eps);
                    k[t] = HeadNorm(k[t], p + "self_attn.k_norm.weight", eps);
                }
            for (var t = 0; t < n; t++) { Rope(q[t], nh, hd, t, invFreq, cosSinScale); Rope(k[t], nkv, hd, t, invFreq, cosSinScale); }
            var scale = _gemma ? 1 / Math.Sqrt(D("query_pre_attn_scalar", hd)) : 1 / Math.Sqrt(hd);
            var cap = _gemma ? D("attn_logit_softcapping", 0) : 0;
            var attn = new double[n][];
            for (var t = 0; t < n; t++)
            {
                attn[t] = new double[nh * hd];
                for (var head = 0; head < nh; head++)
                {
                    var g = head / (nh / nkv);
                    var scores = new double[n];
                    for (var j = 0; j < n; j++)
                    {
                        var visible = j <= t && (!slidingLayer || t - j < window);
                        if (!visible) { scores[j] = double.NegativeInfinity; continue; }
                        double s = 0;
                        for (var d = 0; d < hd; d++) s += q[t][head * hd + d] * k[j][g * hd + d];
                        s *= scale;
                        if (cap > 0) s = Math.Tanh(s / cap) * cap;
                        scores[j] = s;
                    }
                    var max = scores.Max();
                    var e = scores.Select(s => Math.Exp(s - max)).ToArray();
                    var sum = e.Sum();
                    for (var j = 0; j < n; j++)
                        for (var d = 0; d < hd; d++) attn[t][head * hd + d] += e[j] / sum * v[j][g * hd + d];
                }
            }
            for (var t = 0; t < n; t++)
            {
                var o = MatVec(p + "self_attn.o_proj.weight", attn[t]);
                if (_gemma) o = Norm(o, p + "post_attention_layernorm.weight", eps);
                for (var d = 0; d < h; d++) x[t][d] += o[d];
                var m = Norm(x[t], p + (_gemma ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight"), eps);
                var down = Sparse(l) ? Experts(p, m) : Mlp(p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight", p + "mlp.down_proj.weight", m);
                if (_gemma) down = Norm(down, p + "post_feedforward_layernorm.weight", eps);
                for (var d = 0; d < h; d++) x[t][d] += down[d];
            }
        }
        var head0 = _w.ContainsKey("lm_head.weight") ? "lm_head.weight" : "model.embed_tokens.weight";
        var finalCap = _gemma ? D("final_logit_softcapping", 0) : 0;
        return x.Select(r =>
        {
            var logits = MatVec(head0, Norm(r, "model.norm.weight", eps));
            return finalCap > 0 ? logits.Select(z => Math.Tanh(z / finalCap) * finalCap).ToArray() : logits;
        }).ToArray();
    }

    // Mistral: every layer; Gemma 2: every other; Gemma 3: layer_types, else all but every sliding_window_pattern-th.
    private bool Slides(int layer)
    {
        if (_c["layer_types"] is JsonArray types) return (string)types[layer]! == "sliding_attention";
        if (_gemma3) return (layer + 1) % (int)(_c["sliding_window_pattern"] ?? 6) != 0;
        return !_gemma || layer % 2 == 0;
    }

    private double[] Mlp(string gateName, string upName, string downName, double[] m)
    {
        var gate = MatVec(gateName, m);
        var up = MatVec(upName, m);
        var act = gate.Select((gv, i) => (_gemma ? GeluTanh(gv) : gv / (1 + Math.Exp(-gv))) * up[i]).ToArray();
        return MatVec(downName, act);
    }

    private bool Mixtral => (string)_c["model_type"]! == "mixtral";
    private int ExpertCount => _c["num_local_experts"] is { } mixtral ? (int)mixtral : _c["num_experts"] is { } n ? (int)n : 0;

    // transformers' Qwen2MoeDecoderLayer rule (Mixtral and OLMoE have neither key: every layer is sparse).
    private bool Sparse(int layer)
    {
        var denseOnly = _c["mlp_only_layers"]?.AsArray().Select(x => (int)x!).ToArray() ?? [];
        var step = _c["decoder_sparse_step"] is { } s ? (int)s : 1;
        return ExpertCount > 0 && !denseOnly.Contains(layer) && (layer + 1) % step == 0;
    }

    private double[] Experts(string p, double[] m)
    {
        var block = Mixtral ? p + "block_sparse_moe." : p + "mlp.";
        var logits = MatVec(block + "gate.weight", m);
        var max = logits.Max();
        var e = logits.Select(z => Math.Exp(z - max)).ToArray();
        var probabilities = e.Select(z => z / e.Sum()).ToArray();
        var k = I("num_experts_per_tok");
        var top = Enumerable.Range(0, probabilities.Length).OrderByDescending(i => probabilities[i]).ThenBy(i => i).Take(k).ToArray();
        var normalize = Mixtral || (_c["norm_topk_prob"] is { } norm && (bool)norm);
        var sum = top.Sum(i => probabilities[i]);
        var result = new double[m.Length];
        foreach (var expert in top)
        {
            var x = block + $"experts.{expert}.";
            var y = Mixtral ? Mlp(x + "w1.weight", x + "w3.weight", x + "w2.weight", m) : Mlp(x + "gate_proj.weight", x + "up_proj.weight", x + "down_proj.weight", m);
            var weight = probabilities[expert] / (normalize ? sum : 1);
            for (var d = 0; d < m.Length; d++) result[d] += weight * y[d];
        }
        if (!_w.ContainsKey(block + "shared_expert_gate.weight")) return result;
        var shared = Mlp(block + "shared_expert.gate_proj.weight", block + "shared_expert.up_proj.weight", block + "shared_expert.down_proj.weight", m);
        var g = 1 / (1 + Math.Exp(-MatVec(block + "shared_expert_gate.weight", m)[0]));
        for (var d = 0; d < m.Length; d++) result[d] += g * shared[d];
        return result;
    }

    // Qwen3's q/k norm is per head (a weight of head_dim); OLMoE's spans the whole projection.
    private double[] HeadNorm(double[] x, string weight, double eps)
    {
        var width = _w[weight].Length;
        return Enumerable.Range(0, x.Length / width).SelectMany(h => Norm(x[(h * width)..((h + 1) * width)], weight, eps)).ToArray();
    }

    private double[] Row(string name, int row, int size) => _w[name].Skip(row * size).Take(size).Select(f => (double)f).ToArray();

    private double[] MatVec(string name, double[] x)
    {
        MatVecInput?.Invoke(name, x);
        var w = _w[name];
        var rows = w.Length / x.Length;
        var y = new double[rows];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < x.Length; c++) y[r] += w[r * x.Length + c] * x[c];
        return y;
    }

    private double[] Norm(double[] x, string weight, double eps)
    {
        var w = _w[weight];
        var rms = Math.Sqrt(x.Select(v => v * v).Average() + eps);
        return x.Select((v, i) => v / rms * ((_gemma ? 1 : 0) + w[i])).ToArray();
    }

    // modeling_rope_utils.py: inv_freq and the cos/sin multiplier of layers of layerType for a forward whose highest position is seqLen − 1.
    private (double[] InvFreq, double Scale) RopeSchedule(int headDim, int seqLen, string layerType)
    {
        var section = (_c["rope_parameters"] ?? _c["rope_scaling"])?.AsObject();
        if (section?[layerType] is JsonObject perLayerType) section = perLayerType;
        else if (_gemma3 && layerType == "sliding_attention") section = new JsonObject { ["rope_theta"] = D("rope_local_base_freq", 10000) };
        double Get(string key, double fallback) => section?[key] is { } v ? (double)v : _c[key] is { } top ? (double)top : fallback;
        var type = (string?)(section?["rope_type"] ?? section?["type"]) ?? "default";
        var theta = Get("rope_theta", 10000);
        var dim = (int)(headDim * Get("partial_rotary_factor", 1));
        var maxPositions = I("max_position_embeddings");
        var scale = 1.0;
        double[]? divisors = null;
        switch (type)
        {
            case "longrope":
                var original = (int)Get("original_max_position_embeddings", maxPositions);
                var factor = section!["factor"] is { } f ? (double)f : (double)maxPositions / original;
                scale = section["attention_factor"] is { } a ? (double)a : factor <= 1 ? 1 : Math.Sqrt(1 + Math.Log(factor) / Math.Log(original));
                divisors = section[seqLen > original ? "long_factor" : "short_factor"]!.AsArray().Select(x => (double)x!).ToArray();
                break;
            case "linear":
                divisors = Enumerable.Repeat((double)section!["factor"]!, dim / 2).ToArray();
                break;
            case "dynamic":
                var length = Math.Max(seqLen, maxPositions);
                var growth = (double)section!["factor"]!;
                theta *= Math.Pow(growth * length / maxPositions - (growth - 1), dim / (dim - 2.0));
                break;
            case not "default":
                throw new NotSupportedException($"the oracle has no rope_type '{type}'");
        }
        var inv = new double[dim / 2];
        for (var i = 0; i < inv.Length; i++) inv[i] = 1 / ((divisors?[i] ?? 1) * Math.Pow(theta, 2.0 * i / dim));
        return (inv, scale);
    }

    // rotate_half over the first 2·inv.Length dimensions of each head; the rest pass through.
    private static void Rope(double[] v, int heads, int hd, int pos, double[] inv, double scale)
    {
        var half = inv.Length;
        for (var head = 0; head < heads; head++)
            for (var i = 0; i < half; i++)
            {
                var angle = pos * inv[i];
                double cos = Math.Cos(angle) * scale, sin = Math.Sin(angle) * scale;
                int a = head * hd + i, b = a + half;
                (v[a], v[b]) = (v[a] * cos - v[b] * sin, v[b] * cos + v[a] * sin);
            }
    }

    private static double GeluTanh(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
}
