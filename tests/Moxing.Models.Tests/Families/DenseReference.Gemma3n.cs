namespace Moxing.Models.Tests.Families;

// Gemma3nTextModel: embeddings × sqrt(hidden); per-layer inputs as Gemma 4's, ids past vocab_size_per_layer_input reading row 0
// (Gemma3nModel.get_per_layer_inputs); AltUp streams: the embeddings and their projections scaled to the embeddings' RMS. Per
// layer (Gemma3nTextDecoderLayer): predict every stream (coefficients from tanh(router(norm(active) / hidden))), input_layernorm
// of the active prediction, Laurel beside Gemma 4's attention (q/k norms, unweighted v norm, scale 1, KV sharing), post-norm,
// the residual, (· + laurel) / sqrt(2), pre/post_feedforward_layernorm around the MLP whose gate keeps its gaussian top-k on the
// sparse layers, the residual, correct every stream by (1 + correction_coefs · router) × innovation, the per-layer input gated by
// the corrected active stream × correct_output_scale added to every stream but the first. Then the streams' mean (the others
// through their unembeddings, scaled to stream 0's RMS), final norm, tied head, soft-capping.
internal sealed partial class DenseReference
{
    private double[][] Gemma3nForward(int[] ids)
    {
        if (_type == "gemma3n")
        {
            _c = _c["text_config"]!.AsObject();
            _w = _w.Where(e => e.Key.StartsWith("model.language_model.", StringComparison.Ordinal))
                .ToDictionary(e => "model." + e.Key["model.language_model.".Length..], e => e.Value);
        }
        _type = "gemma3n_text";
        int h = I("hidden_size"), layers = I("num_hidden_layers"), n = ids.Length, perLayer = I("hidden_size_per_layer_input");
        int streams = I("altup_num_inputs"), active = I("altup_active_idx"), shared = I("num_kv_shared_layers");
        var types = _c["layer_types"]!.AsArray().Select(t => (string)t!).ToArray();
        var x = ids.Select(id => _w["model.embed_tokens.weight"].AsSpan(id * h, h).ToArray().Select(v => v * Math.Sqrt(h)).ToArray()).ToArray();
        var tableIds = ids.Select(id => id < I("vocab_size_per_layer_input") ? id : 0).ToArray();
        var inputs = _drop != "per_layer_inputs" ? PerLayerInputs(tableIds, x, layers, perLayer) : null;
        var s = new double[streams][][];
        s[0] = x;
        for (var k = 1; k < streams; k++) s[k] = x.Select(r => Magnitude(Affine($"model.altup_projections.{k - 1}", r), r)).ToArray();
        var stored = new (double[][] K, double[][] V)[layers];
        for (var l = 0; l < layers; l++)
        {
            var p = $"model.layers.{l}.";
            var predictions = Predict(p, s, streams, active);
            var normed = predictions[active].Select(r => Norm(r, p + "input_layernorm")).ToArray();
            var source = l < layers - shared ? l : _drop == "kv_sharing" ? layers - shared - 1 : Array.FindLastIndex(types, layers - shared - 1, layers - shared, t => t == types[l]);
            var attended = Gemma4Attention(p, normed, types[l] == "full_attention", stored, l, source);
            var corrected = new double[n][][];
            for (var t = 0; t < n; t++)
            {
                var a = Norm(attended[t], p + "post_attention_layernorm");
                var laurel = Norm(Affine(p + "laurel.linear_right", Affine(p + "laurel.linear_left", normed[t])), p + "laurel.post_laurel_norm");
                var y = a.Select((v, d) => v + predictions[active][t][d]).ToArray();
                if (_drop != "laurel") y = y.Select((v, d) => (v + normed[t][d] + laurel[d]) / Math.Sqrt(2)).ToArray();
                var m = Norm(Gemma3nMlp(p, l, Norm(y, p + "pre_feedforward_layernorm")), p + "post_feedforward_layernorm");
                for (var d = 0; d < h; d++) y[d] += m[d];
                corrected[t] = Correct(p, predictions.Select(c => c[t]).ToArray(), y, active);
                if (inputs == null) continue;
                var scale = B("altup_correct_scale") && _drop != "correct_scale" ? _w[p + "altup.correct_output_scale"] : null;
                var first = corrected[t][active].Select((v, d) => v * (scale?[d] ?? 1)).ToArray();
                var gate = Affine(p + "per_layer_input_gate", first).Select((g, i) => GeluTanh(g) * inputs[t][l * perLayer + i]).ToArray();
                var added = Norm(Affine(p + "per_layer_projection", gate), p + "post_per_layer_input_norm");
                for (var k = 1; k < streams; k++)
                    for (var d = 0; d < h; d++) corrected[t][k][d] += added[d];
            }
            for (var k = 0; k < streams; k++) s[k] = corrected.Select(c => c[k]).ToArray();
        }
        var merged = Enumerable.Range(0, n).Select(t =>
        {
            var sum = s[0][t].ToArray();
            for (var k = 1; k < streams; k++)
            {
                var back = Magnitude(Affine($"model.altup_unembed_projections.{k - 1}", s[k][t]), s[0][t]);
                for (var d = 0; d < h; d++) sum[d] += back[d];
            }
            return sum.Select(v => v / streams).ToArray();
        });
        var cap = _drop == "softcap" ? 0 : D("final_logit_softcapping", 0);
        return merged.Select(r => Affine("model.embed_tokens", Norm(r, "model.norm")).Select(z => cap > 0 ? cap * Math.Tanh(z / cap) : z).ToArray()).ToArray();
    }

    // Gemma3nTextAltUp.predict for every token: stream c's prediction is stream c plus Σ_r coefs[c · K + r] · stream r (dropped,
    // "altup_predict": the streams as they are).
    private double[][][] Predict(string p, double[][][] s, int streams, int active) => s.Select((_, c) => s[c].Select((row, t) =>
    {
        if (_drop == "altup_predict") return row.ToArray();
        var coefs = Affine(p + "altup.prediction_coefs", Routed(p, s[active][t]));
        return row.Select((v, d) => v + Enumerable.Range(0, streams).Sum(r => coefs[c * streams + r] * s[r][t][d])).ToArray();
    }).ToArray()).ToArray();

    // Gemma3nTextAltUp.correct for one token: every prediction plus (correction_coefs · router + 1)[c] × (y − the active prediction),
    // the coefficients' weights clamped to ±altup_coef_clip (dropped, "altup_correct": coefficients of 1; "coef_clip": unclamped).
    private double[][] Correct(string p, double[][] predictions, double[] y, int active)
    {
        var clip = _drop == "coef_clip" ? double.PositiveInfinity : D("altup_coef_clip", double.PositiveInfinity);
        var weights = _w[p + "altup.correction_coefs.weight"];
        var routed = Routed(p, y);
        var k = predictions.Length;
        return predictions.Select((prediction, c) =>
        {
            var coefficient = _drop == "altup_correct" ? 1 : 1 + Enumerable.Range(0, k).Sum(i => Math.Clamp(weights[c * k + i], -clip, clip) * routed[i]);
            return prediction.Select((v, d) => v + coefficient * (y[d] - predictions[active][d])).ToArray();
        }).ToArray();
    }

    // compute_router_modalities: tanh(modality_router(router_norm(x) / hidden)).
    private double[] Routed(string p, double[] x) =>
        Affine(p + "altup.modality_router", Norm(x, p + "altup.router_norm").Select(v => v / x.Length).ToArray()).Select(Math.Tanh).ToArray();

    // y · rms(target) / sqrt(max(mean(y²), 1e-5)).
    private static double[] Magnitude(double[] y, double[] target)
    {
        var wanted = Math.Sqrt(target.Average(v => v * v));
        var had = Math.Sqrt(Math.Max(y.Average(v => v * v), 1e-5));
        return y.Select(v => v * wanted / had).ToArray();
    }

    // Gemma3nTextMLP: down(gelu_tanh(gate) · up), the gate first cut at mean + icdf(sparsity) · std (population) and clamped at 0
    // on the layers activation_sparsity_pattern gives a sparsity (dropped, "sparsity": never).
    private double[] Gemma3nMlp(string p, int layer, double[] x)
    {
        var gate = Affine(p + "mlp.gate_proj", x);
        var sparsity = (double)_c["activation_sparsity_pattern"]![layer]!;
        if (sparsity > 0 && _drop != "sparsity")
        {
            var mean = gate.Average();
            var std = Math.Sqrt(gate.Average(v => (v - mean) * (v - mean)));
            var cutoff = mean + std * Moxing.Models.Families.NormalQuantile.Of(sparsity);
            gate = gate.Select(v => Math.Max(v - cutoff, 0)).ToArray();
        }
        return Affine(p + "mlp.down_proj", gate.Zip(Affine(p + "mlp.up_proj", x), (g, u) => GeluTanh(g) * u).ToArray());
    }
}
