using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Moxing.Core.Formats.Safetensors;

namespace Moxing.Models.Tests.Families;

/// <summary>
/// The forward pass of LFM2, Granite 4.0 hybrid, Granite, OLMo 2, Gemma, Phi-2, StarCoder2, Cohere, Cohere2, StableLM, GLM-4, GLM, Nemotron, OLMo, MiniCPM, ERNIE 4.5, Llama 4, Seed-OSS, EXAONE 4, Hunyuan dense, Arcee, Mistral 3 and Apertus written out in double precision from transformers'
/// modeling files, over a float32 checkpoint: the oracle of the family tests. Each family's delta from Llama is stated where
/// transformers states it; <c>drop</c> leaves one of them out, so a test can show the comparison would catch an engine that did.
/// </summary>
internal sealed partial class DenseReference
{
    private Dictionary<string, float[]> _w = [];
    private JsonObject _c;
    private string _type;
    private string? _drop;

    public DenseReference(string folder)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!.AsObject();
        using (var f = SafetensorsFile.Open(Path.Combine(folder, "model.safetensors")))
            foreach (var t in f.Tensors) _w[t.Name] = MemoryMarshal.Cast<byte, float>(t.Bytes).ToArray();
        (_c, _w) = Llama4Text(config, _w);
        _type = (string)_c["model_type"]!;
        // Qwen3_5(Moe)ForConditionalGeneration runs its text_config's model over the model.language_model.* tensors.
        if (_type is "qwen3_5" or "qwen3_5_moe")
        {
            _c = _c["text_config"]!.AsObject();
            _type = (string)_c["model_type"]!;
            foreach (var (name, values) in _w.ToArray()) _w[name.Replace("model.language_model.", "model.", StringComparison.Ordinal)] = values;
        }
        if (_type is "qwen2_vl" or "qwen2_5_vl") Qwen2VlText();
        // Mistral3ForConditionalGeneration runs its text_config's MistralForCausalLM over the model.language_model.* tensors.
        if (_type == "mistral3")
        {
            _c = _c["text_config"]!.AsObject();
            _type = (string)_c["model_type"]!;
            foreach (var (name, values) in _w.ToArray()) _w[name.Replace("model.language_model.", "model.", StringComparison.Ordinal)] = values;
        }
    }

    private double D(string key, double fallback) => _c[key] is { } v ? (double)v : fallback;
    private bool B(string key) => _c[key] is { } v && (bool)v;
    private bool Cohere => _type is "cohere" or "cohere2";
    private int I(string key) => (int)_c[key]!;

    // Embeddings in place of the placeholder tokens at their positions (an image's), as transformers' masked_scatter of the
    // projected image features into inputs_embeds; bidirectional ones see each other (token_type_ids).
    private (int Position, double[][] Rows, bool Bidirectional)[] _spans = [];

    // The last position token t attends to: its own, or its bidirectional span's last.
    private int LastSeen(int t) => _spans.Where(sp => sp.Bidirectional && t >= sp.Position && t < sp.Position + sp.Rows.Length)
        .Select(sp => sp.Position + sp.Rows.Length - 1).DefaultIfEmpty(t).Max();

    /// <summary>The logits like <see cref="Forward(int[], string?)"/> with <paramref name="spans"/> replacing the embeddings of their positions.</summary>
    public double[][] Forward(int[] ids, (int Position, double[][] Rows, bool Bidirectional)[] spans)
    {
        _spans = spans;
        try
        {
            return Forward(ids);
        }
        finally
        {
            _spans = [];
        }
    }

    /// <summary>The logits [n][vocab] of every token of <paramref name="ids"/>, without the part of the architecture named <paramref name="drop"/>.</summary>
    public double[][] Forward(int[] ids, string? drop = null)
    {
        _drop = drop;
        if (Classic) return ClassicForward(ids);
        if (_type == "llama4_text") return Llama4Forward(ids);
        if (_type is "lfm2" or "lfm2_moe") return Lfm2Forward(ids);
        if (_type is "gemma4" or "gemma4_text") return Gemma4Forward(ids);
        if (_type is "gemma3n" or "gemma3n_text") return Gemma3nForward(ids);
        if (_type == "granitemoehybrid") return GraniteHybridForward(ids);
        if (_type == "nemotron_h") return NemotronHForward(ids);
        if (_type == "falcon_h1") return FalconH1Forward(ids);
        if (_type is "mamba" or "falcon_mamba") return MambaForward(ids);
        if (_type == "jamba") return JambaForward(ids);
        if (_type is "qwen3_next" or "qwen3_5_text" or "qwen3_5_moe_text") return Qwen35Forward(ids);
        if (_type is "falcon" or "RefinedWeb" or "RefinedWebModel") FalconAsLlama(drop);
        if (_type is "exaone" or "internlm2" or "apertus") RenamedAsLlama(drop);
        if (_type is "bailing_moe" or "bailing_moe_v2") BailingAsLlama(drop);
        int h = I("hidden_size"), heads = I("num_attention_heads"), kvHeads = I("num_key_value_heads"), n = ids.Length;
        var hd = _c["head_dim"] is { } headDim ? (int)headDim : h / heads;
        var granite = _type is "granite" or "granitemoe" or "granitemoeshared";
        var minicpm = _type == "minicpm";
        // GraniteModel: inputs_embeds * embedding_multiplier; GemmaModel: * hidden_size ** 0.5; MiniCPMModel: * scale_emb.
        var embedScale = granite && drop != "embedding_multiplier" ? D("embedding_multiplier", 1) : _type == "gemma" && drop != "normalizer" ? Math.Sqrt(h)
            : minicpm && drop != "scale_emb" ? D("scale_emb", 1) : 1;
        // MiniCPMDecoderLayer: residual + branch * (scale_depth / sqrt(num_hidden_layers)).
        var residual = granite && drop != "residual_multiplier" ? D("residual_multiplier", 1)
            : minicpm && drop != "scale_depth" ? D("scale_depth", 1) / Math.Sqrt(I("num_hidden_layers")) : 1;
        // Glm4DecoderLayer: post_self_attn_layernorm on the attention output, post_mlp_layernorm on the MLP's, before their adds.
        var glmPostNorms = _type == "glm4" && drop != "post_norms";
        var scale = granite && drop != "attention_multiplier" ? D("attention_multiplier", 1) : 1 / Math.Sqrt(hd);
        // PhiAttention rotates the first int(head_dim · partial_rotary_factor) dimensions of each head.
        var rotary = drop == "partial_rotary_factor" ? hd : (int)(hd * D("partial_rotary_factor", 1));
        var window = drop == "sliding_window" ? 0 : _c["sliding_window"] is { } sw ? (int)sw : 0;
        // Phi-2's, Falcon's, Cohere's and StableLM's (use_parallel_residual) MLP reads the attention's input and both add to the stream.
        var parallel = (_type is "phi" or "falcon" || Cohere || _type == "stablelm" && B("use_parallel_residual")) && drop != "parallel";
        LongRope(n);
        var x = ids.Select(id => _w["model.embed_tokens.weight"].AsSpan(id * h, h).ToArray().Select(v => v * embedScale).ToArray()).ToArray();
        foreach (var (position, rows, _) in _spans)
            for (var r = 0; r < rows.Length; r++) x[position + r] = rows[r].ToArray();
        for (var l = 0; l < I("num_hidden_layers"); l++)
        {
            var p = $"model.layers.{l}.";
            // OLMo 2 normalises the attention and MLP outputs, not their inputs (dropped: the same norms before the blocks, as
            // Llama places them); Phi-2's MLP reads the attention's input.
            var postNormsOnly = _type is "olmo2" or "exaone4" && drop != "post_norms_only";
            var (attentionNorm, mlpNorm) = _type switch
            {
                "olmo2" or "exaone4" => ("post_attention_layernorm", "post_feedforward_layernorm"),
                "phi" or "cohere" or "cohere2" => ("input_layernorm", "input_layernorm"),
                "stablelm" when B("use_parallel_residual") => ("input_layernorm", "input_layernorm"),
                "falcon" => ("input_layernorm", _w.ContainsKey(p + "post_attention_layernorm.weight") ? "post_attention_layernorm" : "input_layernorm"),
                _ => ("input_layernorm", "post_attention_layernorm"),
            };
            var attentionIn = x.Select(r => postNormsOnly ? r.ToArray() : Norm(r, p + attentionNorm)).ToArray();
            // SmolLM3DecoderLayer: use_rope = no_rope_layers[i], by default 0 on every no_rope_layer_interval-th layer.
            var noRope = _type == "smollm3" && drop != "nope" && (l + 1) % (int)D("no_rope_layer_interval", 4) == 0;
            // Cohere2: layer i slides when (i + 1) % sliding_window_pattern != 0, and only sliding layers rotate (dropped: all rotate);
            // EXAONE 4: the layers layer_types calls full_attention neither slide nor rotate.
            var full = _type == "cohere2" && (l + 1) % (int)D("sliding_window_pattern", 4) == 0
                || _type == "exaone4" && (string?)_c["layer_types"]![l] == "full_attention";
            var attended = Attention(p, attentionIn, heads, kvHeads, hd, rotary, scale, full ? 0 : window, drop, rotate: !noRope && (!full || drop == "nope"));
            if (parallel)
            {
                for (var t = 0; t < n; t++)
                {
                    var mlp = Mlp(p, attentionNorm == mlpNorm ? attentionIn[t] : Norm(x[t], p + mlpNorm));
                    for (var d = 0; d < h; d++) x[t][d] += attended[t][d] + mlp[d];
                }
                continue;
            }
            for (var t = 0; t < n; t++)
            {
                var a = postNormsOnly ? Norm(attended[t], p + attentionNorm) : glmPostNorms ? Norm(attended[t], p + "post_self_attn_layernorm") : attended[t];
                for (var d = 0; d < h; d++) x[t][d] += residual * a[d];
                var m = postNormsOnly ? Norm(Mlp(p, x[t]), p + mlpNorm) : Mlp(p, Norm(x[t], p + mlpNorm));
                if (glmPostNorms) m = Norm(m, p + "post_mlp_layernorm");
                for (var d = 0; d < h; d++) x[t][d] += residual * m[d];
            }
        }
        var head = _w.ContainsKey("lm_head.weight") ? "lm_head" : "model.embed_tokens";
        // GraniteForCausalLM: logits / logits_scaling.
        var divisor = granite && drop != "logits_scaling" ? D("logits_scaling", 1) : 1;
        // CohereForCausalLM: logits * logit_scale; MiniCPMForCausalLM: lm_head(hidden / (hidden_size / dim_model_base)).
        if (Cohere && drop != "logit_scale") divisor = 1 / D("logit_scale", 0.0625);
        if (minicpm && drop != "dim_model_base") divisor = h / D("dim_model_base", 1);
        return x.Select(r => Affine(head, Norm(r, _type == "phi" ? "model.final_layernorm" : "model.norm")).Select(z => z / divisor).ToArray()).ToArray();
    }

    private double[][] Attention(string p, double[][] xs, int heads, int kvHeads, int hd, int rotary, double scale, int window, string? drop, bool rotate)
    {
        if (DeepSeek) return LatentAttention(p, xs, drop);
        int n = xs.Length, group = heads / kvHeads;
        // Seed-OSS's attention_bias: q/k/v biases (dropped, "qkv_bias": left out).
        var qkvBias = drop != "qkv_bias";
        var q = xs.Select(r => Affine(p + "self_attn.q_proj", r, qkvBias)).ToArray();
        var k = xs.Select(r => Affine(p + "self_attn.k_proj", r, qkvBias)).ToArray();
        var v = xs.Select(r => Affine(p + "self_attn.v_proj", r, qkvBias)).ToArray();
        // OlmoAttention: q, k and v clamped to ±clip_qkv.
        if (_type == "olmo" && drop != "clip_qkv" && _c["clip_qkv"] is { } clipNode)
        {
            var clip = (double)clipNode;
            foreach (var row in q.Concat(k).Concat(v))
                for (var d = 0; d < row.Length; d++) row[d] = Math.Clamp(row[d], -clip, clip);
        }
        // Exaone4Attention, ApertusAttention and Lfm2Attention: q_norm / k_norm (LFM2's q_layernorm / k_layernorm), RMSNorms of
        // head_dim, on each head before the rotation. Glm4MoeAttention (use_qk_norm) and Dots1Attention (Qwen 3's) likewise.
        if ((_type is "exaone4" or "apertus" or "lfm2" or "lfm2_moe" or "dots1" or "bailing_moe_v2" || _type == "glm4_moe" && B("use_qk_norm")) && drop != "qk_norm")
            for (var t = 0; t < n; t++) (q[t], k[t]) = (RmsHeads(q[t], hd, p + "self_attn.q_norm"), RmsHeads(k[t], hd, p + "self_attn.k_norm"));
        // Olmo2Attention: q_norm / k_norm over the whole projections, before the heads are split.
        if (_type == "olmo2" && drop != "qk_norm")
            for (var t = 0; t < n; t++) (q[t], k[t]) = (Norm(q[t], p + "self_attn.q_norm"), Norm(k[t], p + "self_attn.k_norm"));
        // CohereAttention (use_qk_norm): a LayerNorm per head with its row of q_norm [heads, head_dim]; StableLmLayerNormPerHead
        // (qk_layernorm): one nn.LayerNorm per head, without bias.
        if (drop != "qk_norm" && (Cohere && B("use_qk_norm") || B("qk_layernorm")))
            for (var t = 0; t < n; t++)
            {
                HeadNorms(q[t], hd, h => B("use_qk_norm") ? (p + "self_attn.q_norm.weight", h * hd) : ($"{p}self_attn.q_layernorm.norms.{h}.weight", 0));
                HeadNorms(k[t], hd, h => B("use_qk_norm") ? (p + "self_attn.k_norm.weight", h * hd) : ($"{p}self_attn.k_layernorm.norms.{h}.weight", 0));
            }
        // HunYuanDenseV1Attention: query_layernorm / key_layernorm on each head after the rotation (dropped, "qk_norm_order": before it).
        var hunyuan = _type is "hunyuan_v1_dense" or "hunyuan_v1_moe";
        void HunyuanNorms()
        {
            for (var t = 0; t < n; t++) (q[t], k[t]) = (RmsHeads(q[t], hd, p + "self_attn.query_layernorm"), RmsHeads(k[t], hd, p + "self_attn.key_layernorm"));
        }
        if (hunyuan && drop == "qk_norm_order") HunyuanNorms();
        // Cohere's, GLM-4's and ERNIE 4.5's rotate_half pair (2i, 2i + 1) (dropped: the halves, as Llama's).
        var interleaved = (Cohere || _type is "glm4" or "glm" or "ernie4_5" or "ernie4_5_moe") && drop != "interleaved";
        for (var t = 0; t < n && rotate; t++)
        {
            Rope(q[t], hd, rotary, t, interleaved);
            Rope(k[t], hd, rotary, t, interleaved);
        }
        if (hunyuan && drop != "qk_norm_order") HunyuanNorms();
        return Enumerable.Range(0, n).Select(t => Affine(p + (_type == "phi" ? "self_attn.dense" : "self_attn.o_proj"), Attended(q, k, v, t, heads, group, hd, scale, window, last: LastSeen(t)))).ToArray();
    }

    // Token t's softmax(q·k · scale)·v per query head (head h reads key/value head h / group), over the last `window` positions
    // (this one included, as transformers' sliding mask keeps them) or all before it; with ALiBi `slopes`, each score of key position
    // j gains slope · j (a shift of a row's scores leaves its softmax as it is: BLOOM's key positions and MPT's distances from the
    // last give the same weights).
    private static double[] Attended(double[][] q, double[][] k, double[][] v, int t, int heads, int group, int hd, double scale, int window,
        double[]? slopes = null, int last = -1)
    {
        var attended = new double[heads * hd];
        var first = window > 0 ? Math.Max(0, t - window + 1) : 0;
        // A token of a bidirectional span (Gemma 3's token_type_ids mask) also sees the span's later tokens.
        last = Math.Max(last, t);
        for (var head = 0; head < heads; head++)
        {
            var g = head / group;
            var scores = Enumerable.Range(first, last - first + 1)
                .Select(j => Enumerable.Range(0, hd).Sum(d => q[t][head * hd + d] * k[j][g * hd + d]) * scale + (slopes?[head] ?? 0) * j).ToArray();
            var max = scores.Max();
            var sum = scores.Sum(s => Math.Exp(s - max));
            for (var j = first; j <= last; j++)
                for (var d = 0; d < hd; d++) attended[head * hd + d] += Math.Exp(scores[j - first] - max) / sum * v[j][g * hd + d];
        }
        return attended;
    }

    // Each head of v through the RMSNorm `name` of head_dim weights.
    private double[] RmsHeads(double[] v, int hd, string name) =>
        Enumerable.Range(0, v.Length / hd).SelectMany(h => Norm(v[(h * hd)..((h + 1) * hd)], name)).ToArray();

    // Each head's values normalised (mean-subtracting, no bias) by the weights at (tensor, offset) of head h.
    private void HeadNorms(double[] v, int hd, Func<int, (string Name, int Offset)> weights)
    {
        var eps = D("layer_norm_eps", 1e-5);
        for (var h = 0; h < v.Length / hd; h++)
        {
            var (name, offset) = weights(h);
            var w = _w[name];
            var row = v.AsSpan(h * hd, hd);
            var mean = row.ToArray().Average();
            var inv = 1 / Math.Sqrt(row.ToArray().Average(x => (x - mean) * (x - mean)) + eps);
            for (var d = 0; d < hd; d++) row[d] = (row[d] - mean) * inv * w[offset + d];
        }
    }

    // rotate_half over the first `rotary` dimensions of each head, inv_freq = base^(−2i/rotary); the rest pass through. Pairs
    // (i, i + rotary/2), or (2i, 2i + 1) when interleaved.
    private void Rope(double[] v, int hd, int rotary, int position, bool interleaved)
    {
        var half = rotary / 2;
        var theta = RopeBase(hd);
        for (var head = 0; head < v.Length / hd; head++)
            for (var i = 0; i < half; i++)
            {
                var angle = PairPosition(position, i) / (LongRopeFactor(i) * Llama3Divisor(i, rotary) * Math.Pow(theta, 2.0 * i / rotary));
                var (cos, sin) = (Math.Cos(angle) * _ropeScale, Math.Sin(angle) * _ropeScale);
                int a = head * hd + (interleaved ? 2 * i : i), b = interleaved ? a + 1 : a + half;
                (v[a], v[b]) = (v[a] * cos - v[b] * sin, v[b] * cos + v[a] * sin);
            }
    }

    // HunYuanDenseV1RotaryEmbedding: a dynamic rope_scaling with an alpha rotates by base · alpha^(d / (d − 2)) (dropped, "alpha": the base).
    private double RopeBase(int hd) =>
        D("rope_theta", 10000) * (_type is "hunyuan_v1_dense" or "hunyuan_v1_moe" && _drop != "alpha" && _c["rope_scaling"]?["alpha"] is { } alpha ? Math.Pow((double)alpha, hd / (hd - 2.0)) : 1);

    // transformers' _compute_llama3_parameters: pairs slower than original/low_freq_factor turn factor times slower, those faster
    // than original/high_freq_factor keep their speed, and the band between is interpolated (dropped, "llama3": unscaled).
    private double Llama3Divisor(int pair, int rotary)
    {
        if (_drop == "llama3" || _c["rope_scaling"] is not JsonObject r || (string?)r["rope_type"] != "llama3") return 1;
        double factor = (double)r["factor"]!, low = (double)r["low_freq_factor"]!, high = (double)r["high_freq_factor"]!;
        var original = (double)r["original_max_position_embeddings"]!;
        var wavelength = 2 * Math.PI * Math.Pow(D("rope_theta", 10000), 2.0 * pair / rotary);
        if (wavelength < original / high) return 1;
        if (wavelength > original / low) return factor;
        var smooth = (original / wavelength - low) / (high - low);
        return 1 / ((1 - smooth) / factor + smooth);
    }

    // Gated SiLU (Granite, OLMo 2) or GELU-tanh (Gemma); Phi-2's fc1/fc2 and StarCoder2's c_fc/c_proj with biases and GELU-tanh.
    private double[] Mlp(string p, double[] x) => _type switch
    {
        "phi" => Affine(p + "mlp.fc2", Affine(p + "mlp.fc1", x).Select(GeluTanh).ToArray()),
        "starcoder2" => Affine(p + "mlp.c_proj", Affine(p + "mlp.c_fc", x).Select(GeluTanh).ToArray()),
        "granitemoe" or "granitemoeshared" => GraniteMoe(p, x),
        "phimoe" => PhiMoe(p, x),
        "hunyuan_v1_moe" => HunyuanMoe(p, x),
        "bailing_moe" when _w.ContainsKey(p + "mlp.gate.weight") => BailingMoe(p, x),
        "ernie4_5_moe" when _w.ContainsKey(p + "mlp.gate.weight") => ErnieMoe(p, x),
        "deepseek_v2" or "deepseek_v3" or "glm4_moe" or "dots1" or "bailing_moe_v2" when _w.ContainsKey(p + "mlp.gate.weight") => DeepSeekMoe(p, x),
        // Glm4MLP and GlmMLP: gate, up = gate_up_proj(x).chunk(2); down(up * silu(gate)).
        "glm4" or "glm" => Affine(p + "mlp.down_proj", Glm4GateUp(Affine(p + "mlp.gate_up_proj", x))),
        // NemotronMLP and ArceeMLP: down(relu2(up(x))), relu2 = relu(x)² (dropped: relu alone).
        "apertus" => Affine(p + "mlp.down_proj", Xielu(p, Affine(p + "mlp.up_proj", x))),
        "nemotron" or "arcee" => Affine(p + "mlp.down_proj", Affine(p + "mlp.up_proj", x).Select(u => Math.Pow(Math.Max(u, 0), _drop == "relu2" ? 1 : 2)).ToArray()),
        // FalconMLP: dense_4h_to_h(gelu(dense_h_to_4h(x))), the exact GELU, no biases.
        "falcon" => Affine(p + "mlp.down_proj", Affine(p + "mlp.up_proj", x).Select(v => 0.5 * v * (1 + Moxing.Core.Tests.Ops.ReferenceErf.Erf(v / Math.Sqrt(2)))).ToArray()),
        _ => Affine(p + "mlp.down_proj", Affine(p + "mlp.gate_proj", x)
            .Zip(Affine(p + "mlp.up_proj", x), (g, u) => (_type is "gemma" or "gemma4_text" ? GeluTanh(g) : g / (1 + Math.Exp(-g))) * u).ToArray()),
    };

    // XIELUActivation: x > 0: softplus(alpha_p)·x² + beta·x, else (expm1(min(x, eps)) − x)·(beta + softplus(alpha_n)) + beta·x,
    // with the layer's scalars (dropped, "xielu_softplus": the stored alphas used as they are).
    private double[] Xielu(string p, double[] u)
    {
        double S(string name) => _w[p + "mlp.act_fn." + name][0];
        double Softplus(double v) => _drop == "xielu_softplus" ? v : Math.Log(1 + Math.Exp(v));
        double beta = S("beta"), eps = S("eps"), alphaP = Softplus(S("alpha_p")), alphaN = beta + Softplus(S("alpha_n"));
        return u.Select(v => v > 0 ? alphaP * v * v + beta * v : (Math.Exp(Math.Min(v, eps)) - 1 - v) * alphaN + beta * v).ToArray();
    }

    private static double[] Glm4GateUp(double[] gateUp)
    {
        var ff = gateUp.Length / 2;
        return Enumerable.Range(0, ff).Select(i => gateUp[i] / (1 + Math.Exp(-gateUp[i])) * gateUp[ff + i]).ToArray();
    }

    // RMSNorm (Gemma's times 1 + w), or LayerNorm with bias (Phi-2, StarCoder2, Falcon, StableLM; Nemotron's LayerNorm1P times
    // 1 + w), without (CohereLayerNorm), or without weights either (OlmoLayerNorm, epsilon 1e-5).
    private double[] Norm(double[] x, string name)
    {
        if (_type == "olmo") return LayerNorm(x, 1e-5, _ => 1, _ => 0);
        var w = _w[name + ".weight"];
        if (_type is "phi" or "starcoder2" or "falcon" or "stablelm" or "phimoe" or "nemotron" || Cohere)
        {
            var eps = D(_type switch { "starcoder2" => "norm_epsilon", "falcon" => "layer_norm_epsilon", "phimoe" => "rms_norm_eps", "nemotron" => "norm_eps", _ => "layer_norm_eps" }, 1e-5);
            var b = _w.GetValueOrDefault(name + ".bias");
            var onePlus = _type == "nemotron" && _drop != "norm_offset" ? 1 : 0;
            // llama.cpp's phimoe graph (dropped "layer_norm"): an RMS norm, then the bias.
            return LayerNorm(x, eps, i => onePlus + w[i], i => b?[i] ?? 0, center: _drop != "layer_norm");
        }
        var rms = 1 / Math.Sqrt(x.Average(v => v * v) + D("rms_norm_eps", 1e-6));
        // GemmaRMSNorm: x · (1 + w) (Gemma 4's by w).
        var offset = _type == "gemma" && _drop != "norm_offset" ? 1 : 0;
        return x.Select((v, i) => v * rms * (offset + w[i])).ToArray();
    }

    private static double[] LayerNorm(double[] x, double eps, Func<int, double> weight, Func<int, double> bias, bool center = true)
    {
        var mean = center ? x.Average() : 0;
        var inv = 1 / Math.Sqrt(x.Average(v => (v - mean) * (v - mean)) + eps);
        return x.Select((v, i) => (v - mean) * inv * weight(i) + bias(i)).ToArray();
    }

    // W x + b (the bias when the checkpoint has one and it is not left out).
    private double[] Affine(string name, double[] x, bool bias = true)
    {
        var w = _w[name + ".weight"];
        var b = bias ? _w.GetValueOrDefault(name + ".bias") : null;
        var y = new double[w.Length / x.Length];
        for (var r = 0; r < y.Length; r++)
        {
            double sum = b?[r] ?? 0;
            for (var c = 0; c < x.Length; c++) sum += w[r * x.Length + c] * x[c];
            y[r] = sum;
        }
        return y;
    }

    // Falcon's checkpoint under the Llama names the forward reads. FalconAttention._split_heads views query_key_value as
    // [kv groups, heads/kv + 2, head_dim] rows with the new decoder architecture, [heads + 2, head_dim] with multi-query (one
    // key/value head), else [heads, 3, head_dim]; dropped ("qkv_groups"), the rows are read as q, k, v one after the other.
    private void FalconAsLlama(string? drop)
    {
        _type = "falcon";
        int h = I(_c.ContainsKey("n_embed") ? "n_embed" : "hidden_size"), heads = I(_c.ContainsKey("n_head") ? "n_head" : "num_attention_heads");
        var layers = I(_c.ContainsKey("n_layer") ? "n_layer" : "num_hidden_layers");
        var newArchitecture = (bool?)_c["new_decoder_architecture"] == true || (string?)_c["model_type"] == "RefinedWeb";
        var multiQuery = (bool?)_c["multi_query"] ?? true;
        var kvHeads = newArchitecture ? I(_c.ContainsKey("n_head_kv") ? "n_head_kv" : "num_kv_heads") : multiQuery ? 1 : heads;
        var hd = h / heads;
        (_c["hidden_size"], _c["num_attention_heads"], _c["num_key_value_heads"], _c["num_hidden_layers"]) = (h, heads, kvHeads, layers);
        _w["model.embed_tokens.weight"] = _w["transformer.word_embeddings.weight"];
        Rename("transformer.ln_f", "model.norm");
        for (var l = 0; l < layers; l++)
        {
            string f = $"transformer.h.{l}.", p = $"model.layers.{l}.";
            Rename(f + (newArchitecture ? "ln_attn" : "input_layernorm"), p + "input_layernorm");
            if (newArchitecture) Rename(f + "ln_mlp", p + "post_attention_layernorm");
            Rename(f + "self_attention.dense", p + "self_attn.o_proj");
            Rename(f + "mlp.dense_h_to_4h", p + "mlp.up_proj");
            Rename(f + "mlp.dense_4h_to_h", p + "mlp.down_proj");
            var fused = _w[f + "self_attention.query_key_value.weight"];
            // The head-row index of every q, k and v head in the fused matrix.
            int[] qRows = new int[heads], kRows = new int[kvHeads], vRows = new int[kvHeads];
            var perGroup = heads / kvHeads;
            for (var head = 0; head < heads; head++)
                qRows[head] = drop == "qkv_groups" ? head : newArchitecture ? head / perGroup * (perGroup + 2) + head % perGroup : multiQuery ? head : head * 3;
            for (var g = 0; g < kvHeads; g++)
            {
                kRows[g] = drop == "qkv_groups" ? heads + g : newArchitecture ? g * (perGroup + 2) + perGroup : multiQuery ? heads : g * 3 + 1;
                vRows[g] = drop == "qkv_groups" ? heads + kvHeads + g : newArchitecture ? g * (perGroup + 2) + perGroup + 1 : multiQuery ? heads + 1 : g * 3 + 2;
            }
            float[] Heads(int[] rows) => rows.SelectMany(r => fused.AsSpan(r * hd * h, hd * h).ToArray()).ToArray();
            (_w[p + "self_attn.q_proj.weight"], _w[p + "self_attn.k_proj.weight"], _w[p + "self_attn.v_proj.weight"]) = (Heads(qRows), Heads(kRows), Heads(vRows));
        }
    }

    // EXAONE's and InternLM2's checkpoints under the Llama names, their config under Llama's keys. InternLM2Attention
    // rearranges wqkv "b q (h gs d) -> b q h gs d" with gs = heads/kv + 2: per group its query heads, its key, its value
    // (dropped, "qkv_groups": q, k, v one after the other); EXAONE's c_fc_0 is the gate, c_fc_1 the up projection (dropped,
    // "gate_up_order": the other way round).
    private void RenamedAsLlama(string? drop)
    {
        var renames = TinyHfFolder.Renames(_type);
        foreach (var (name, values) in _w.ToArray())
            _w[renames.Reverse().Aggregate(name, (n, r) => n.Replace(r.Family, r.Llama, StringComparison.Ordinal))] = values;
        if (_type is "apertus" or "bailing_moe" or "bailing_moe_v2") return;
        if (_type == "exaone")
        {
            (_c["num_hidden_layers"], _c["rms_norm_eps"]) = (I("num_layers"), D("layer_norm_epsilon", 1e-5));
            if (drop == "gate_up_order")
                for (var l = 0; l < I("num_hidden_layers"); l++)
                    (_w[$"model.layers.{l}.mlp.gate_proj.weight"], _w[$"model.layers.{l}.mlp.up_proj.weight"]) = (_w[$"model.layers.{l}.mlp.up_proj.weight"], _w[$"model.layers.{l}.mlp.gate_proj.weight"]);
            return;
        }
        int h = I("hidden_size"), heads = I("num_attention_heads"), kvHeads = I("num_key_value_heads"), hd = h / heads, gs = heads / kvHeads + 2;
        for (var l = 0; l < I("num_hidden_layers"); l++)
        {
            var p = $"model.layers.{l}.";
            var fused = _w[p + "attention.wqkv.weight"];
            float[] Rows(Func<int, int> headRow, int count) =>
                Enumerable.Range(0, count).SelectMany(i => fused.AsSpan(headRow(i) * hd * h, hd * h).ToArray()).ToArray();
            var grouped = drop != "qkv_groups";
            _w[p + "self_attn.q_proj.weight"] = Rows(i => grouped ? i / (gs - 2) * gs + i % (gs - 2) : i, heads);
            _w[p + "self_attn.k_proj.weight"] = Rows(g => grouped ? g * gs + gs - 2 : heads + g, kvHeads);
            _w[p + "self_attn.v_proj.weight"] = Rows(g => grouped ? g * gs + gs - 1 : heads + kvHeads + g, kvHeads);
        }
    }

    private void Rename(string from, string to)
    {
        foreach (var part in new[] { ".weight", ".bias" })
            if (_w.TryGetValue(from + part, out var values)) _w[to + part] = values;
    }

    private static double GeluTanh(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
}
