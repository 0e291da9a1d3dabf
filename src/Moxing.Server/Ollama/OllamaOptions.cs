using Moxing.Inference.Sampling;
using Moxing.Server.Generation;
using Moxing.Server.Http;

namespace Moxing.Server.Ollama;

/// <summary>
/// Ollama's <c>options</c> object: the sampling and limit options this engine honours, and the placement hints (GPU layers,
/// threads, batch, mmap, …) that change where a model runs but not what it writes, which are accepted and have no effect here.
/// A sampler this engine does not have (typical_p, tfs_z, mirostat other than their off values) or an unknown option is a 400
/// naming it.
/// </summary>
public static class OllamaOptions
{
    /// <summary>Ollama's sampling defaults where the request sets none: temperature 0.8, top_k 40, top_p 0.9, repeat_penalty
    /// 1.1 over the last 64 tokens (repeat_last_n).</summary>
    public static readonly SamplingOptions Defaults = new() { Temperature = 0.8f, TopK = 40, TopP = 0.9f, RepetitionPenalty = 1.1f, PenaltyWindow = 64 };

    // Options of Ollama's API that place the model (GPU layers, threads, batch size, memory mapping, …) or only matter when a
    // context is shifted (num_keep: a prompt over the context is an error here): they do not change the tokens written.
    private static readonly string[] Placement =
        ["num_keep", "num_batch", "num_gpu", "main_gpu", "num_thread", "numa", "use_mmap", "use_mlock", "low_vram", "f16_kv", "vocab_only",
         "logits_all", "embedding_only", "penalize_newline", "num_gqa", "mirostat_tau", "mirostat_eta"];

    /// <summary>Reads <c>options</c> (may be absent) into generation parameters; <paramref name="numCtx"/> receives options.num_ctx.</summary>
    public static GenerationParameters Read(JsonRequest request, out int? numCtx)
    {
        var o = request.Nested("options");
        numCtx = null;
        if (o is null) return new GenerationParameters { Sampling = Defaults };
        var sampling = Defaults with
        {
            Temperature = (float)(o.Number("temperature", 0, 100) ?? Defaults.Temperature),
            TopK = o.Int("top_k", 0) ?? Defaults.TopK,
            TopP = (float)(o.Number("top_p", 1e-6, 1) ?? Defaults.TopP),
            MinP = (float)(o.Number("min_p", 0, 1) ?? 0),
            RepetitionPenalty = (float)(o.Number("repeat_penalty", 0.01, 100) ?? Defaults.RepetitionPenalty),
            PresencePenalty = (float)(o.Number("presence_penalty", -100, 100) ?? 0),
            FrequencyPenalty = (float)(o.Number("frequency_penalty", -100, 100) ?? 0),
            Seed = o.Long("seed") is { } seed and >= 0 ? (ulong)seed : null,
        };
        // num_predict: -1 is unlimited and -2 fills the context, both up to the context here.
        var predict = o.Int("num_predict", -2);
        numCtx = o.Int("num_ctx", 1);
        // repeat_last_n: 0 turns the penalties off, -1 lets them see the whole context
        sampling = o.Int("repeat_last_n", -1) switch
        {
            null => sampling,
            0 => sampling with { RepetitionPenalty = 1, PresencePenalty = 0, FrequencyPenalty = 0, PenaltyWindow = 0 },
            -1 => sampling with { PenaltyWindow = numCtx ?? int.MaxValue },
            var n => sampling with { PenaltyWindow = n.Value },
        };
        OnlyOff(o, "typical_p", 1);
        OnlyOff(o, "tfs_z", 1);
        OnlyOff(o, "mirostat", 0);
        foreach (var hint in Placement) o.Node(hint);
        var stops = o.StringOrList("stop") ?? [];
        o.RejectUnknown();
        return new GenerationParameters
        {
            Sampling = sampling,
            MaxTokens = predict is null or < 0 ? null : predict == 0 ? throw ApiException.Unsupported("options.num_predict", "0 (nothing to generate)") : predict,
            Stops = stops.Where(s => s.Length > 0).ToArray(),
        };
    }

    // A sampler this engine does not have, accepted at the value that turns it off.
    private static void OnlyOff(JsonRequest o, string key, double off)
    {
        if (o.Number(key) is { } value && value != off)
            throw o.Unsupported(key, $"{value} (this server has no such sampler; {off} turns it off)");
    }

    /// <summary>The token budget when options.num_ctx caps prompt plus completion below the engine's context.</summary>
    public static int? CapByContext(int? maxTokens, int? numCtx, int promptLength)
    {
        if (numCtx is not { } ctx) return maxTokens;
        var room = ctx - promptLength;
        if (room < 1)
            throw new ApiException(400, $"the prompt has {promptLength} tokens but options.num_ctx is {ctx}", param: "options.num_ctx",
                code: "context_length_exceeded");
        return Math.Min(room, maxTokens ?? int.MaxValue);
    }
}
