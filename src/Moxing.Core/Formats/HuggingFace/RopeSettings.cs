namespace Moxing.Core.Formats.HuggingFace;

/// <summary>How rotary position frequencies are scaled (transformers' <c>rope_type</c>).</summary>
public enum RopeType
{
    /// <summary>Plain RoPE: inv_freq = theta^(-2i/d).</summary>
    Default,

    /// <summary>Positions divided by <see cref="RopeSettings.Factor"/>.</summary>
    Linear,

    /// <summary>Dynamic NTK: theta grows with the sequence length beyond the original context.</summary>
    Dynamic,

    /// <summary>YaRN: per-frequency interpolation between beta_fast and beta_slow, plus an attention factor.</summary>
    Yarn,

    /// <summary>LongRoPE (Phi-3): per-frequency short/long factors.</summary>
    LongRope,

    /// <summary>Llama 3.1: low/high frequency bands scaled by factor, smooth between.</summary>
    Llama3,
}

/// <summary>RoPE settings normalised from either config layout; numbers a type does not use are null.</summary>
public sealed record RopeSettings
{
    /// <summary>Base frequency (<c>rope_theta</c>).</summary>
    public required double Theta { get; init; }

    /// <summary>The scaling scheme.</summary>
    public RopeType Type { get; init; }

    /// <summary>Context scaling factor (1 for <see cref="RopeType.Default"/>; LongRoPE without one: max_position_embeddings / original).</summary>
    public double Factor { get; init; } = 1;

    /// <summary>Fraction of each head's dimensions that is rotated (<c>partial_rotary_factor</c>, 1 when absent).</summary>
    public double PartialRotaryFactor { get; init; } = 1;

    /// <summary>Llama3: <c>low_freq_factor</c>.</summary>
    public double? LowFreqFactor { get; init; }

    /// <summary>Llama3: <c>high_freq_factor</c>.</summary>
    public double? HighFreqFactor { get; init; }

    /// <summary>Context length the model was trained with before scaling (<c>original_max_position_embeddings</c>).</summary>
    public int? OriginalMaxPositionEmbeddings { get; init; }

    /// <summary>YaRN: <c>beta_fast</c> (transformers' default 32 when absent).</summary>
    public double? BetaFast { get; init; }

    /// <summary>YaRN: <c>beta_slow</c> (transformers' default 1 when absent).</summary>
    public double? BetaSlow { get; init; }

    /// <summary>YaRN/LongRoPE: <c>attention_factor</c> scaling cos/sin, when the config sets it.</summary>
    public double? AttentionFactor { get; init; }

    /// <summary>YaRN (DeepSeek): <c>mscale</c>.</summary>
    public double? Mscale { get; init; }

    /// <summary>YaRN (DeepSeek): <c>mscale_all_dim</c>.</summary>
    public double? MscaleAllDim { get; init; }

    /// <summary>YaRN: whether correction bounds are truncated to integers (<c>truncate</c>, transformers' default true).</summary>
    public bool? Truncate { get; init; }

    /// <summary>LongRoPE: per-frequency factors for short contexts.</summary>
    public float[]? ShortFactor { get; init; }

    /// <summary>LongRoPE: per-frequency factors for long contexts.</summary>
    public float[]? LongFactor { get; init; }

    /// <summary>Reads the settings from <paramref name="config"/>; see <see cref="HfConfig.GetRope"/>.</summary>
    internal static RopeSettings From(HfConfig config, double defaultTheta, string? layerType)
    {
        var source = Source(config, layerType);
        var theta = source is not null && source.TryGetDouble("rope_theta", out var t) ? t : config.GetDouble("rope_theta", defaultTheta);
        if (!(theta > 0)) throw (source is not null && source.Has("rope_theta") ? source : config).Error("rope_theta", $"is {theta}, expected a positive number");
        var type = source is null ? RopeType.Default : ParseType(source);

        // Phi-3 and others keep these two at the top level even when the scaling dict exists.
        var original = source is not null && source.TryGetInt("original_max_position_embeddings", out var o) ? o
            : config.TryGetInt("original_max_position_embeddings", out o) ? o : (int?)null;
        var partial = source is not null && source.TryGetDouble("partial_rotary_factor", out var p) ? p : config.GetDouble("partial_rotary_factor", 1);

        var settings = new RopeSettings { Theta = theta, Type = type, OriginalMaxPositionEmbeddings = original, PartialRotaryFactor = partial };
        if (source is null || type == RopeType.Default) return settings;

        return settings with
        {
            Factor = type == RopeType.LongRope ? LongRopeFactor(config, source, original) : Positive(source, "factor"),
            LowFreqFactor = type == RopeType.Llama3 ? source.GetDouble("low_freq_factor") : Optional(source, "low_freq_factor"),
            HighFreqFactor = type == RopeType.Llama3 ? source.GetDouble("high_freq_factor") : Optional(source, "high_freq_factor"),
            OriginalMaxPositionEmbeddings = type == RopeType.Llama3 && original is null ? source.GetInt("original_max_position_embeddings") : original,
            BetaFast = type == RopeType.Yarn ? source.GetDouble("beta_fast", 32) : Optional(source, "beta_fast"),
            BetaSlow = type == RopeType.Yarn ? source.GetDouble("beta_slow", 1) : Optional(source, "beta_slow"),
            AttentionFactor = Optional(source, "attention_factor"),
            Mscale = Optional(source, "mscale"),
            MscaleAllDim = Optional(source, "mscale_all_dim"),
            Truncate = type == RopeType.Yarn ? source.GetBool("truncate", true) : null,
            ShortFactor = type == RopeType.LongRope ? RequiredList(source, "short_factor") : null,
            LongFactor = type == RopeType.LongRope ? RequiredList(source, "long_factor") : null,
        };
    }

    /// <summary>The section holding the settings: <c>rope_parameters</c> (per layer type when nested), else <c>rope_scaling</c>, else none.</summary>
    private static HfConfig? Source(HfConfig config, string? layerType)
    {
        if (config.TryGetSection("rope_parameters", out var parameters))
        {
            var nested = parameters.Keys.Where(parameters.IsSection).ToArray();
            if (nested.Length == 0) return parameters;
            if (layerType is null)
                throw config.Error("rope_parameters", $"holds settings per layer type ({string.Join(", ", nested)}); the model must say which it needs");
            return parameters.TryGetSection(layerType, out var forLayer)
                ? forLayer
                : throw config.Error("rope_parameters", $"has no settings for layer type '{layerType}' (has {string.Join(", ", nested)})");
        }
        return config.TryGetSection("rope_scaling", out var scaling) ? scaling : null;
    }

    private static RopeType ParseType(HfConfig source)
    {
        var key = source.Has("rope_type") ? "rope_type" : "type";
        var name = source.GetString(key, "default");
        return name switch
        {
            "default" => RopeType.Default,
            // Qwen2-VL's multimodal sections rotate text positions like plain RoPE.
            "mrope" => RopeType.Default,
            "linear" => RopeType.Linear,
            "dynamic" => RopeType.Dynamic,
            "yarn" => RopeType.Yarn,
            // "su" is LongRoPE's name in early Phi-3 configs.
            "longrope" or "su" => RopeType.LongRope,
            "llama3" => RopeType.Llama3,
            _ => throw source.Error(key, $"is '{name}', which is not supported (default, linear, dynamic, yarn, longrope, llama3)"),
        };
    }

    private static double Positive(HfConfig source, string key)
    {
        var value = source.GetDouble(key);
        return value > 0 ? value : throw source.Error(key, $"is {value}, expected a positive number");
    }

    // transformers: the config's factor, else max_position_embeddings / original_max_position_embeddings (Phi-3 sets no factor).
    private static double LongRopeFactor(HfConfig config, HfConfig source, int? original)
    {
        if (source.Has("factor")) return Positive(source, "factor");
        return original is > 0 && config.TryGetInt("max_position_embeddings", out var max) ? (double)max / original.Value : 1;
    }

    private static double? Optional(HfConfig source, string key) => source.TryGetDouble(key, out var v) ? v : null;

    private static float[] RequiredList(HfConfig source, string key) =>
        source.TryGetFloatList(key, out var list) ? list : throw source.Error(key, "is missing (expected a list of numbers)");
}
