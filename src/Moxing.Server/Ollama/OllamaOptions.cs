using System.Text.Json.Nodes;
using Moxing.Inference.Sampling;
using Moxing.Server.Generation;
using Moxing.Server.Http;
using Moxing.Server.Store;

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

    /// <summary>
    /// Reads <c>options</c> (may be absent) into generation parameters over the model's own <paramref name="defaults"/> (each option the
    /// request sets wins); <paramref name="numCtx"/> receives options.num_ctx.
    /// </summary>
    public static GenerationParameters Read(JsonRequest request, ModelDefaults? defaults, out int? numCtx)
    {
        var o = request.Nested("options") ?? new JsonRequest(new JsonObject(), "options.");
        var given = ReadValues(o);
        numCtx = given.NumCtx;
        OnlyOff(o, "typical_p", 1);
        OnlyOff(o, "tfs_z", 1);
        OnlyOff(o, "mirostat", 0);
        foreach (var hint in Placement) o.Node(hint);
        o.RejectUnknown();
        var values = given.Over(defaults);
        // repeat_last_n -1 lets the penalties see the whole context: the request's num_ctx when it gives one
        var sampling = values.Sampling(Defaults, numCtx);
        // num_predict: -1 is unlimited and -2 fills the context, both up to the context here.
        if (given.NumPredict == 0) throw ApiException.Unsupported("options.num_predict", "0 (nothing to generate)");
        return new GenerationParameters
        {
            Sampling = sampling,
            MaxTokens = values.MaxTokens,
            Stops = (values.Stop ?? []).Where(s => s.Length > 0).ToArray(),
        };
    }

    /// <summary>
    /// The sampling and limit options of an Ollama options object (a request's <c>options</c>, a model's params layer), each checked
    /// for type and range; other fields are left unread for the caller.
    /// </summary>
    public static ModelDefaults ReadValues(JsonRequest o) => new()
    {
        Stop = o.StringOrList("stop"),
        Temperature = o.Number("temperature", 0, 100),
        TopK = o.Int("top_k", 0),
        TopP = o.Number("top_p", 1e-6, 1),
        MinP = o.Number("min_p", 0, 1),
        RepeatPenalty = o.Number("repeat_penalty", 0.01, 100),
        RepeatLastN = o.Int("repeat_last_n", -1),
        PresencePenalty = o.Number("presence_penalty", -100, 100),
        FrequencyPenalty = o.Number("frequency_penalty", -100, 100),
        Seed = o.Long("seed"),
        NumPredict = o.Int("num_predict", -2),
        NumCtx = o.Int("num_ctx", 1),
    };

    /// <summary>A model's own parameters (a create request's <c>parameters</c>, a Modelfile's PARAMETER lines): <see cref="ReadValues"/>, and a 400
    /// naming any other field, since a model would keep it without effect.</summary>
    public static ModelDefaults ReadModelParameters(JsonRequest o)
    {
        var values = ReadValues(o);
        foreach (var (key, _) in o.Body)
            if (!values.Parameters().Any(p => p.Key == key)) throw o.Unsupported(key, "not a parameter a model keeps here");
        return values;
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
