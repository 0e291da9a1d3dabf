using Moxing.Inference.Sampling;
using Moxing.Server.Generation;
using Moxing.Server.Http;

namespace Moxing.Server.Ollama;

/// <summary>Ollama's <c>options</c> object: the sampling and limit options this engine honours; any other option is a 400 naming it.</summary>
public static class OllamaOptions
{
    /// <summary>Ollama's sampling defaults (temperature 0.8, top_k 40, top_p 0.9) where the request sets none.</summary>
    public static readonly SamplingOptions Defaults = new() { Temperature = 0.8f, TopK = 40, TopP = 0.9f };

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
            RepetitionPenalty = (float)(o.Number("repeat_penalty", 0.01, 100) ?? 1),
            PresencePenalty = (float)(o.Number("presence_penalty", -100, 100) ?? 0),
            FrequencyPenalty = (float)(o.Number("frequency_penalty", -100, 100) ?? 0),
            Seed = o.Long("seed") is { } seed and >= 0 ? (ulong)seed : null,
        };
        // num_predict: -1 is unlimited and -2 fills the context, both up to the context here.
        var predict = o.Int("num_predict", -2);
        numCtx = o.Int("num_ctx", 1);
        var stops = o.StringOrList("stop") ?? [];
        o.RejectUnknown();
        return new GenerationParameters
        {
            Sampling = sampling,
            MaxTokens = predict is null or < 0 ? null : predict == 0 ? throw ApiException.Unsupported("options.num_predict", "0 (nothing to generate)") : predict,
            Stops = stops.Where(s => s.Length > 0).ToArray(),
        };
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
