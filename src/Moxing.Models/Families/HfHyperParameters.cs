using System.Text.Json;
using Moxing.Core;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>Typed reads of an HF config.json, with errors that name the file and key.</summary>
public sealed class HfHyperParameters(JsonElement root, string path)
{
    /// <summary>The config file.</summary>
    public string Path { get; } = path;

    /// <summary>The `model_type`.</summary>
    public string ModelType => String("model_type");

    /// <summary>True when the key is present and not null.</summary>
    public bool Has(string key) => root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;

    private JsonElement Get(string key) =>
        root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v
            : throw new InvalidModelFileException(Path, $"'{key}' is missing");

    /// <summary>An integer value.</summary>
    public int Int(string key)
    {
        var v = Get(key);
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) && i >= 0
            ? i : throw new InvalidModelFileException(Path, $"'{key}' must be a non-negative integer, got {v.GetRawText()}");
    }

    /// <summary>An integer value or <paramref name="fallback"/> when absent.</summary>
    public int Int(string key, int fallback) => Has(key) ? Int(key) : fallback;

    /// <summary>A number or <paramref name="fallback"/> when absent.</summary>
    public double Number(string key, double fallback) => Has(key) ? Number(Get(key), key) : fallback;

    private double Number(JsonElement v, string key) =>
        v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw new InvalidModelFileException(Path, $"'{key}' must be a number, got {v.GetRawText()}");

    /// <summary>A boolean or <paramref name="fallback"/> when absent.</summary>
    public bool Bool(string key, bool fallback) =>
        !Has(key) ? fallback : Get(key).ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new InvalidModelFileException(Path, $"'{key}' must be true or false"),
        };

    /// <summary>A string value.</summary>
    public string String(string key)
    {
        var v = Get(key);
        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new InvalidModelFileException(Path, $"'{key}' must be a string");
    }

    /// <summary>A list of strings, or null when absent.</summary>
    public string[]? Strings(string key) =>
        !Has(key) ? null : Get(key) is { ValueKind: JsonValueKind.Array } a
            ? a.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new InvalidModelFileException(Path, $"'{key}' must list strings")).ToArray()
            : throw new InvalidModelFileException(Path, $"'{key}' must be a list");

    /// <summary>The options every llama-like architecture shares, from the standard HF keys.</summary>
    public DecoderOptions Common(string architecture)
    {
        var hidden = Int("hidden_size");
        var heads = Int("num_attention_heads");
        if (heads == 0) throw new InvalidModelFileException(Path, "'num_attention_heads' must be positive");
        var headDim = Int("head_dim", hidden / heads);
        var kvHeads = Int("num_key_value_heads", heads);
        if (kvHeads == 0 || heads % kvHeads != 0)
            throw new InvalidModelFileException(Path, $"'num_attention_heads' ({heads}) must be a multiple of 'num_key_value_heads' ({kvHeads})");
        return new DecoderOptions
        {
            Architecture = architecture,
            VocabSize = Int("vocab_size"),
            HiddenSize = hidden,
            LayerCount = Int("num_hidden_layers"),
            HeadCount = heads,
            KvHeadCount = kvHeads,
            HeadDim = headDim,
            IntermediateSize = Int("intermediate_size"),
            MaxContext = Int("max_position_embeddings", 2048),
            NormEps = (float)Number("rms_norm_eps", 1e-6),
            Rope = Rope(headDim),
        };
    }

    /// <summary>
    /// RoPE from either layout: transformers 5's `rope_parameters` or the Hub's top-level `rope_theta` + `rope_scaling`.
    /// </summary>
    public RopeConfig Rope(int headDim)
    {
        JsonElement? parameters = null;
        if (Has("rope_parameters"))
        {
            var p = Get("rope_parameters");
            if (p.ValueKind != JsonValueKind.Object) throw new InvalidModelFileException(Path, "'rope_parameters' must be an object");
            // Models with per-layer-type RoPE key it by layer type; the full-attention entry is the model's own.
            parameters = p.TryGetProperty("full_attention", out var full) ? full : p;
        }
        else if (Has("rope_scaling"))
            parameters = Get("rope_scaling");

        double Param(string key, double fallback) =>
            parameters is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null
                ? Number(v, key) : fallback;
        string? ParamString(string key) =>
            parameters is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

        var theta = Param("rope_theta", Number("rope_theta", 10000));
        var partial = Param("partial_rotary_factor", Number("partial_rotary_factor", 1));
        var rotary = (int)(headDim * partial);
        var type = ParamString("rope_type") ?? ParamString("type") ?? "default";
        var factor = Param("factor", 1);
        var original = (int)Param("original_max_position_embeddings", Int("max_position_embeddings", 2048));
        var scaling = type switch
        {
            "default" => RopeScaling.Default,
            "linear" => RopeScaling.Linear,
            "llama3" => RopeScaling.Llama3,
            "yarn" => RopeScaling.Yarn,
            _ => throw new InvalidModelFileException(Path, $"rope type '{type}' is not supported (supported: default, linear, llama3, yarn)"),
        };
        double? attentionFactor = Param("attention_factor", double.NaN) is var af && !double.IsNaN(af) ? af : null;
        double mscale = Param("mscale", 0), mscaleAllDim = Param("mscale_all_dim", 0);
        if (scaling == RopeScaling.Yarn && attentionFactor == null && mscale > 0 && mscaleAllDim > 0)
        {
            static double Mscale(double scale, double m) => scale <= 1 ? 1 : 0.1 * m * Math.Log(scale) + 1;
            attentionFactor = Mscale(factor, mscale) / Mscale(factor, mscaleAllDim);
        }
        return new RopeConfig(theta, rotary, RopeStyle.Half, scaling, factor, original,
            Param("low_freq_factor", 1), Param("high_freq_factor", 4), Param("beta_fast", 32), Param("beta_slow", 1), attentionFactor);
    }

    /// <summary>Sliding window per layer: `layer_types` when present, else <paramref name="slidingLayer"/> says which layers slide.</summary>
    public int[] SlidingWindows(int layers, Func<int, bool> slidingLayer)
    {
        var window = Int("sliding_window", 0);
        var types = Strings("layer_types");
        var result = new int[layers];
        for (var i = 0; i < layers; i++)
        {
            var sliding = types != null && i < types.Length ? types[i] == "sliding_attention" : slidingLayer(i);
            result[i] = sliding ? window : 0;
        }
        return result;
    }
}
