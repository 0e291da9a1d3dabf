namespace Moxing.Core.Ops;

/// <summary>How rotary embeddings pair the dimensions of a head.</summary>
public enum RopeStyle
{
    /// <summary>Pairs (i, i + d/2): transformers' rotate_half, llama.cpp's NEOX mode.</summary>
    Half,
    /// <summary>Pairs (2i, 2i + 1): GPT-J style, llama.cpp's normal mode (llama-architecture GGUFs, whose Q/K rows are permuted for it).</summary>
    Interleaved,
}

/// <summary>The frequency schedule of rotary embeddings.</summary>
public enum RopeScaling
{
    /// <summary>theta^(-2i/d).</summary>
    Default,
    /// <summary>Positions divided by the factor (position interpolation).</summary>
    Linear,
    /// <summary>Llama 3.1's wavelength-dependent interpolation.</summary>
    Llama3,
    /// <summary>YaRN: ramp between interpolation and extrapolation plus an attention factor.</summary>
    Yarn,
    /// <summary>LongRoPE (Phi-3/3.5/4): per-pair divisors, short or long by the context, plus an attention factor.</summary>
    LongRope,
    /// <summary>Dynamic NTK: the base grows with a context beyond the original one.</summary>
    DynamicNtk,
}

/// <summary>Everything that determines rotary position embeddings.</summary>
/// <param name="Theta">Base of the frequencies.</param>
/// <param name="RotaryDim">Dimensions rotated (head_dim × partial_rotary_factor).</param>
/// <param name="Style">Dimension pairing.</param>
/// <param name="Scaling">Frequency schedule.</param>
/// <param name="Factor">Scaling factor (linear, llama3, yarn, dynamic NTK; longrope's sets its default attention factor).</param>
/// <param name="OriginalContext">Pre-training context length (llama3, yarn, longrope; dynamic NTK: max_position_embeddings).</param>
/// <param name="LowFreqFactor">llama3 low_freq_factor.</param>
/// <param name="HighFreqFactor">llama3 high_freq_factor.</param>
/// <param name="BetaFast">yarn beta_fast.</param>
/// <param name="BetaSlow">yarn beta_slow.</param>
/// <param name="AttentionFactor">yarn/longrope attention factor (null: yarn 0.1·ln(factor) + 1, longrope sqrt(1 + ln(factor)/ln(original))).</param>
/// <param name="YarnTruncate">yarn: round the correction range to whole dimensions (transformers' `truncate`).</param>
/// <param name="FrequencyFactors">Per-pair divisors of the frequencies (GGUF `rope_freqs.weight`, how llama.cpp stores llama3 scaling).</param>
/// <param name="ShortFactors">longrope: per-pair divisors within the original context (`short_factor`, GGUF `rope_factors_short.weight`).</param>
/// <param name="LongFactors">longrope: per-pair divisors beyond it (`long_factor`, GGUF `rope_factors_long.weight`).</param>
/// <param name="SequenceLength">transformers' `seq_len` for the context-dependent schedules (longrope, dynamic NTK); set by <see cref="ForContext"/>, 0 within the original context.</param>
/// <param name="Sections">M-RoPE (Qwen2-VL's mrope_section, llama.cpp's rope.dimension_sections without its unused fourth): how many rotated pairs, in turn, take the temporal, height and width position; null: one position for all.</param>
public sealed record RopeConfig(
    double Theta, int RotaryDim, RopeStyle Style, RopeScaling Scaling = RopeScaling.Default, double Factor = 1,
    int OriginalContext = 0, double LowFreqFactor = 1, double HighFreqFactor = 4, double BetaFast = 32,
    double BetaSlow = 1, double? AttentionFactor = null, bool YarnTruncate = true, float[]? FrequencyFactors = null,
    float[]? ShortFactors = null, float[]? LongFactors = null, int SequenceLength = 0, int[]? Sections = null)
{
    /// <summary>
    /// The schedule of a sequence whose context holds <paramref name="context"/> positions. LongRoPE takes its long factors
    /// and dynamic NTK its grown base when the context exceeds <see cref="OriginalContext"/>, as llama.cpp chooses by n_ctx: a
    /// sequence keeps one schedule, so the keys in its cache and its new queries always agree (transformers chooses per
    /// forward call by the highest position, which equals this whenever a call covers the whole context).
    /// </summary>
    public RopeConfig ForContext(int context)
    {
        var length = SequenceLengthFor(context);
        return length == SequenceLength ? this : this with { SequenceLength = length };
    }

    /// <summary>The <see cref="SequenceLength"/> that <see cref="ForContext"/> gives a context of <paramref name="context"/> positions.</summary>
    public int SequenceLengthFor(int context) => Scaling switch
    {
        RopeScaling.LongRope => context > OriginalContext ? OriginalContext + 1 : 0,
        RopeScaling.DynamicNtk => context > OriginalContext ? context : 0,
        _ => SequenceLength,
    };

    /// <summary>The inverse frequencies, one per rotated pair, as transformers computes them.</summary>
    public double[] InverseFrequencies()
    {
        var half = RotaryDim / 2;
        var inv = new double[half];
        var theta = Scaling == RopeScaling.DynamicNtk ? DynamicTheta() : Theta;
        for (var i = 0; i < half; i++) inv[i] = 1.0 / Math.Pow(theta, 2.0 * i / RotaryDim);
        switch (Scaling)
        {
            case RopeScaling.LongRope:
                var factors = (SequenceLength > OriginalContext ? LongFactors : ShortFactors)
                    ?? throw new InvalidOperationException("longrope needs its short and long factors");
                for (var i = 0; i < half; i++) inv[i] /= factors[i];
                break;
            case RopeScaling.Linear:
                for (var i = 0; i < half; i++) inv[i] /= Factor;
                break;
            case RopeScaling.Llama3:
                ScaleLlama3(inv);
                break;
            case RopeScaling.Yarn:
                ScaleYarn(inv);
                break;
        }
        if (FrequencyFactors != null)
            for (var i = 0; i < half; i++) inv[i] /= FrequencyFactors[i];
        return inv;
    }

    /// <summary>Multiplier applied to cos and sin (YaRN's and LongRoPE's attention factor; 1 otherwise).</summary>
    public double CosSinScale => Scaling switch
    {
        RopeScaling.Yarn => AttentionFactor ?? (Factor <= 1 ? 1 : 0.1 * Math.Log(Factor) + 1),
        RopeScaling.LongRope => AttentionFactor ?? (Factor <= 1 ? 1 : Math.Sqrt(1 + Math.Log(Factor) / Math.Log(OriginalContext))),
        _ => 1,
    };

    // transformers' _compute_dynamic_ntk_parameters: base · (factor · len / max − (factor − 1))^(d / (d − 2)), len ≥ max.
    private double DynamicTheta()
    {
        var length = Math.Max(SequenceLength, OriginalContext);
        return Theta * Math.Pow(Factor * length / OriginalContext - (Factor - 1), RotaryDim / (RotaryDim - 2.0));
    }

    private void ScaleLlama3(double[] inv)
    {
        var lowWavelen = OriginalContext / LowFreqFactor;
        var highWavelen = OriginalContext / HighFreqFactor;
        for (var i = 0; i < inv.Length; i++)
        {
            var wavelen = 2 * Math.PI / inv[i];
            if (wavelen < highWavelen) continue;
            if (wavelen > lowWavelen) { inv[i] /= Factor; continue; }
            var smooth = (OriginalContext / wavelen - LowFreqFactor) / (HighFreqFactor - LowFreqFactor);
            inv[i] = (1 - smooth) * inv[i] / Factor + smooth * inv[i];
        }
    }

    private void ScaleYarn(double[] inv)
    {
        double CorrectionDim(double rotations) =>
            RotaryDim * Math.Log(OriginalContext / (rotations * 2 * Math.PI)) / (2 * Math.Log(Theta));
        double low = CorrectionDim(BetaFast), high = CorrectionDim(BetaSlow);
        if (YarnTruncate) (low, high) = (Math.Floor(low), Math.Ceiling(high));
        low = Math.Max(low, 0);
        high = Math.Min(high, RotaryDim - 1);
        if (low == high) high += 0.001;
        for (var i = 0; i < inv.Length; i++)
        {
            var ramp = Math.Clamp((i - low) / (high - low), 0, 1);
            var extrapolationWeight = 1 - ramp;
            inv[i] = inv[i] / Factor * (1 - extrapolationWeight) + inv[i] * extrapolationWeight;
        }
    }
}

/// <summary>Precomputed cos/sin for positions [0, maxPositions) and their application to query/key heads.</summary>
public sealed class RopeTable
{
    private readonly float[] _cos;
    private readonly float[] _sin;
    private readonly int _half;
    // M-RoPE: which of the (t, h, w) positions each pair takes, as llama.cpp's rope_multi picks it (pair index modulo the sections' sum).
    private readonly byte[]? _sectionOfPair;

    /// <summary>The configuration the table was built from.</summary>
    public RopeConfig Config { get; }

    /// <summary>Builds the table for <paramref name="maxPositions"/> positions.</summary>
    public RopeTable(RopeConfig config, int maxPositions)
    {
        Config = config;
        _half = config.RotaryDim / 2;
        var inv = config.InverseFrequencies();
        var scale = config.CosSinScale;
        if (config.Sections is { } sections) _sectionOfPair = SectionOfPair(sections, _half);
        _cos = new float[(long)maxPositions * _half];
        _sin = new float[(long)maxPositions * _half];
        for (var p = 0; p < maxPositions; p++)
            for (var i = 0; i < _half; i++)
            {
                // transformers computes the angle in float32; doing the same keeps long positions identical.
                var angle = (float)p * (float)inv[i];
                _cos[p * _half + i] = (float)(Math.Cos(angle) * scale);
                _sin[p * _half + i] = (float)(Math.Sin(angle) * scale);
            }
    }

    /// <summary>Number of positions the table covers.</summary>
    public int MaxPositions => _cos.Length / Math.Max(_half, 1);

    private static byte[] SectionOfPair(int[] sections, int half)
    {
        var total = sections.Sum();
        if (total <= 0 || sections.Any(n => n < 0) || sections.Length > 3)
            throw new ArgumentException($"M-RoPE sections [{string.Join(", ", sections)}] must be at most three counts of pairs, not negative, some positive");
        var of = new byte[half];
        for (var i = 0; i < half; i++)
        {
            int sector = i % total, section = 0, end = sections[0];
            while (sector >= end) end += sections[++section];
            of[i] = (byte)section;
        }
        return of;
    }

    /// <summary>
    /// Rotates every head for M-RoPE positions (<paramref name="t"/>, <paramref name="h"/>, <paramref name="w"/>): each pair by the
    /// position of its section (<see cref="RopeConfig.Sections"/>). Equal positions rotate as <see cref="Apply(Span{float}, int, int)"/>.
    /// </summary>
    public void Apply(Span<float> heads, int headDim, int t, int h, int w)
    {
        var sections = _sectionOfPair ?? throw new InvalidOperationException("the rotary schedule has no M-RoPE sections");
        if (t == h && h == w)
        {
            Apply(heads, headDim, t);
            return;
        }
        Span<int> rows = stackalloc int[3];
        (rows[0], rows[1], rows[2]) = (t * _half, h * _half, w * _half);
        for (var head = 0; head < heads.Length / headDim; head++)
        {
            var v = heads.Slice(head * headDim, headDim);
            for (var i = 0; i < _half; i++)
            {
                var at = rows[sections[i]] + i;
                float cos = _cos[at], sin = _sin[at];
                int a = Config.Style == RopeStyle.Half ? i : 2 * i, b = Config.Style == RopeStyle.Half ? i + _half : 2 * i + 1;
                float x = v[a], y = v[b];
                v[a] = x * cos - y * sin;
                v[b] = y * cos + x * sin;
            }
        }
    }

    /// <summary>Rotates every head of <paramref name="heads"/> (heads × headDim floats) for position <paramref name="position"/>.</summary>
    public void Apply(Span<float> heads, int headDim, int position)
    {
        var cos = _cos.AsSpan(position * _half, _half);
        var sin = _sin.AsSpan(position * _half, _half);
        for (var h = 0; h < heads.Length / headDim; h++)
        {
            var v = heads.Slice(h * headDim, headDim);
            if (Config.Style == RopeStyle.Half)
                for (var i = 0; i < _half; i++)
                {
                    float a = v[i], b = v[i + _half];
                    v[i] = a * cos[i] - b * sin[i];
                    v[i + _half] = b * cos[i] + a * sin[i];
                }
            else
                for (var i = 0; i < _half; i++)
                {
                    float a = v[2 * i], b = v[2 * i + 1];
                    v[2 * i] = a * cos[i] - b * sin[i];
                    v[2 * i + 1] = b * cos[i] + a * sin[i];
                }
        }
    }
}
