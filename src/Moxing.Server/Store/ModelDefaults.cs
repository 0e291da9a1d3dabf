using System.Globalization;
using System.Text.Json.Serialization;
using Moxing.Inference.Sampling;

namespace Moxing.Server.Store;

/// <summary>
/// A model's own generation defaults, as an Ollama model's params and system layers give them (Ollama's option names): a request's
/// own values win, a chat without a system message gets <see cref="System"/>, and <see cref="NumCtx"/> caps the context.
/// </summary>
public sealed record ModelDefaults
{
    /// <summary>Stop strings, used when a request gives none.</summary>
    public IReadOnlyList<string>? Stop { get; init; }

    /// <summary>Sampling temperature.</summary>
    public double? Temperature { get; init; }

    /// <summary>Top-k (0: off).</summary>
    public int? TopK { get; init; }

    /// <summary>Top-p.</summary>
    public double? TopP { get; init; }

    /// <summary>Min-p.</summary>
    public double? MinP { get; init; }

    /// <summary>Repetition penalty.</summary>
    public double? RepeatPenalty { get; init; }

    /// <summary>Tokens the penalties look back over (0: penalties off, -1: the whole context).</summary>
    public int? RepeatLastN { get; init; }

    /// <summary>Presence penalty.</summary>
    public double? PresencePenalty { get; init; }

    /// <summary>Frequency penalty.</summary>
    public double? FrequencyPenalty { get; init; }

    /// <summary>Sampling seed.</summary>
    public long? Seed { get; init; }

    /// <summary>Most tokens to generate (negative: until the context is full).</summary>
    public int? NumPredict { get; init; }

    /// <summary>Context length the model runs with, when smaller than the server's.</summary>
    public int? NumCtx { get; init; }

    /// <summary>The system prompt of a chat that has none.</summary>
    public string? System { get; init; }

    /// <summary>True when nothing is set.</summary>
    [JsonIgnore]
    public bool IsEmpty => Equals(new ModelDefaults());

    /// <summary>These values, each missing one taken from <paramref name="fallback"/>.</summary>
    public ModelDefaults Over(ModelDefaults? fallback) => fallback is null ? this : new()
    {
        Stop = Stop ?? fallback.Stop,
        Temperature = Temperature ?? fallback.Temperature,
        TopK = TopK ?? fallback.TopK,
        TopP = TopP ?? fallback.TopP,
        MinP = MinP ?? fallback.MinP,
        RepeatPenalty = RepeatPenalty ?? fallback.RepeatPenalty,
        RepeatLastN = RepeatLastN ?? fallback.RepeatLastN,
        PresencePenalty = PresencePenalty ?? fallback.PresencePenalty,
        FrequencyPenalty = FrequencyPenalty ?? fallback.FrequencyPenalty,
        Seed = Seed ?? fallback.Seed,
        NumPredict = NumPredict ?? fallback.NumPredict,
        NumCtx = NumCtx ?? fallback.NumCtx,
        System = System ?? fallback.System,
    };

    /// <summary><paramref name="baseline"/> with the sampling values set here; repeat_last_n -1 covers <paramref name="context"/>
    /// positions when known, else the whole history.</summary>
    public SamplingOptions Sampling(SamplingOptions baseline, int? context = null)
    {
        var s = baseline with
        {
            Temperature = (float)(Temperature ?? baseline.Temperature),
            TopK = TopK ?? baseline.TopK,
            TopP = (float)(TopP ?? baseline.TopP),
            MinP = (float)(MinP ?? baseline.MinP),
            RepetitionPenalty = (float)(RepeatPenalty ?? baseline.RepetitionPenalty),
            PresencePenalty = (float)(PresencePenalty ?? baseline.PresencePenalty),
            FrequencyPenalty = (float)(FrequencyPenalty ?? baseline.FrequencyPenalty),
            Seed = Seed is >= 0 ? (ulong)Seed : baseline.Seed,
        };
        return RepeatLastN is { } n ? WithPenaltyWindow(s, n, context) : s;
    }

    /// <summary>
    /// Ollama's repeat_last_n applied to <paramref name="sampling"/>: 0 turns the penalties off, -1 lets them see the whole context
    /// (<paramref name="context"/> when known), N the last N tokens.
    /// </summary>
    private static SamplingOptions WithPenaltyWindow(SamplingOptions sampling, int lastN, int? context) => lastN switch
    {
        0 => sampling with { RepetitionPenalty = 1, PresencePenalty = 0, FrequencyPenalty = 0, PenaltyWindow = 0 },
        -1 => sampling with { PenaltyWindow = context ?? int.MaxValue },
        _ => sampling with { PenaltyWindow = lastN },
    };

    /// <summary>The token budget set here when positive, else null.</summary>
    [JsonIgnore]
    public int? MaxTokens => NumPredict is > 0 ? NumPredict : null;

    /// <summary>The parameters as Ollama's Modelfile names them (one pair per stop string), in a stable order.</summary>
    public IEnumerable<(string Key, string Value)> Parameters()
    {
        foreach (var stop in Stop ?? []) yield return ("stop", Quote(stop));
        if (Temperature is { } t) yield return ("temperature", Number(t));
        if (TopK is { } k) yield return ("top_k", Number(k));
        if (TopP is { } p) yield return ("top_p", Number(p));
        if (MinP is { } m) yield return ("min_p", Number(m));
        if (RepeatPenalty is { } r) yield return ("repeat_penalty", Number(r));
        if (RepeatLastN is { } n) yield return ("repeat_last_n", Number(n));
        if (PresencePenalty is { } pp) yield return ("presence_penalty", Number(pp));
        if (FrequencyPenalty is { } fp) yield return ("frequency_penalty", Number(fp));
        if (Seed is { } seed) yield return ("seed", Number(seed));
        if (NumPredict is { } predict) yield return ("num_predict", Number(predict));
        if (NumCtx is { } ctx) yield return ("num_ctx", Number(ctx));
    }

    /// <summary>The parameters as <c>ollama show --parameters</c> prints them: a line per value, the name padded to 30 columns.</summary>
    public string ParameterText() => string.Concat(Parameters().Select(p => $"{p.Key,-30} {p.Value}\n"));

    /// <summary>Equal when every value is (stop strings compared in order).</summary>
    public bool Equals(ModelDefaults? other) =>
        other is not null && (Stop ?? []).SequenceEqual(other.Stop ?? []) && System == other.System && Parameters().Skip(Stop?.Count ?? 0)
            .SequenceEqual(other.Parameters().Skip(other.Stop?.Count ?? 0));

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Stop?.Count ?? 0, System, Temperature, TopK, TopP, NumCtx);

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
