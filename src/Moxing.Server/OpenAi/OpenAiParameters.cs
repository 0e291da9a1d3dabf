using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Moxing.Inference.Sampling;
using Moxing.Server.Generation;
using Moxing.Server.Http;
using Moxing.Server.Models;
using Moxing.Server.Store;

namespace Moxing.Server.OpenAi;

/// <summary>The sampling and limit parameters shared by OpenAI's chat and text completions (plus vLLM's top_k, min_p, repetition_penalty, ignore_eos).</summary>
public static class OpenAiParameters
{
    /// <summary>Most stop sequences per request.</summary>
    public const int MaxStops = 16;

    /// <summary>
    /// Reads temperature, top_p, seed, penalties, stop, logit_bias and the token limit over the model's own <paramref name="defaults"/>
    /// (each parameter the request sets wins); logprobs are left to the caller.
    /// </summary>
    public static GenerationParameters Read(JsonRequest r, int? maxTokens, ModelDefaults? defaults = null)
    {
        var baseline = defaults?.Sampling(new SamplingOptions()) ?? new SamplingOptions();
        var topP = r.Number("top_p", 0, 1);
        var sampling = baseline with
        {
            Temperature = (float)(r.Number("temperature", 0, 2) ?? baseline.Temperature),
            // top_p 0 keeps only the most likely token.
            TopP = topP == 0 ? 1f : (float)(topP ?? baseline.TopP),
            TopK = topP == 0 ? 1 : r.Int("top_k", -1, int.MaxValue) is { } k ? Math.Max(k, 0) : baseline.TopK,
            MinP = (float)(r.Number("min_p", 0, 1) ?? baseline.MinP),
            RepetitionPenalty = (float)(r.Number("repetition_penalty", 0.01, 100) ?? baseline.RepetitionPenalty),
            PresencePenalty = (float)(r.Number("presence_penalty", -2, 2) ?? baseline.PresencePenalty),
            FrequencyPenalty = (float)(r.Number("frequency_penalty", -2, 2) ?? baseline.FrequencyPenalty),
            Seed = r.Long("seed") is { } seed ? unchecked((ulong)seed) : baseline.Seed,
        };
        var stops = r.StringOrList("stop") ?? defaults?.Stop ?? [];
        if (stops.Count > MaxStops) throw ApiException.BadParameter(r.Name("stop"), $"'{r.Name("stop")}' takes at most {MaxStops} sequences");
        return new GenerationParameters
        {
            Sampling = sampling,
            MaxTokens = maxTokens ?? defaults?.MaxTokens,
            IgnoreEos = r.Bool("ignore_eos") ?? false,
            Stops = stops.Where(s => s.Length > 0).ToArray(),
            LogitBias = LogitBias(r),
        };
    }

    // {"token id": bias in [-100, 100]}
    private static Dictionary<int, float>? LogitBias(JsonRequest r)
    {
        var map = r.Object("logit_bias");
        if (map is null || map.Count == 0) return null;
        var bias = new Dictionary<int, float>(map.Count);
        foreach (var (key, value) in map)
        {
            if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                throw ApiException.BadParameter("logit_bias", $"'logit_bias' keys must be token ids, got '{key}'");
            if (!JsonValues.TryGetNumber(value, out var b) || b is < -100 or > 100)
                throw ApiException.BadParameter("logit_bias", $"'logit_bias[{key}]' must be a number between -100 and 100");
            bias[id] = (float)b;
        }
        return bias;
    }

    /// <summary>
    /// Checks the request against the model: logit_bias ids inside the vocabulary, and a token limit (named <paramref name="maxTokensParam"/>)
    /// that the context could ever hold, as vLLM does; a limit that merely exceeds the room left after the prompt ends with "length".
    /// </summary>
    public static void CheckModel(GenerationParameters parameters, ResidentModel model, string maxTokensParam)
    {
        var vocabSize = model.Model.RequireDecoder().Options.VocabSize;
        if (parameters.MaxTokens is { } max && max > model.Context)
            throw new ApiException(400, $"'{maxTokensParam}' is {max} but the context of '{model.Name}' holds {model.Context} tokens, prompt included",
                param: maxTokensParam, code: "context_length_exceeded");
        if (parameters.LogitBias is null) return;
        foreach (var id in parameters.LogitBias.Keys)
            if (id >= vocabSize) throw ApiException.BadParameter("logit_bias", $"'logit_bias' names token {id}; the vocabulary has {vocabSize} tokens");
    }

    /// <summary>OpenAI's finish_reason for how a completion ended.</summary>
    public static string FinishReason(Inference.Generation.FinishReason finish) => finish switch
    {
        Inference.Generation.FinishReason.Length or Inference.Generation.FinishReason.ContextFull => "length",
        _ => "stop",
    };

    /// <summary>Writes the <c>usage</c> object summed over the choices, each prompt counted once (choices p · n .. p · n + n - 1
    /// share prompt p).</summary>
    public static void WriteUsage(Utf8JsonWriter w, IReadOnlyList<CompletionResult> results, int n = 1)
    {
        int prompt = 0, cached = 0, completion = 0;
        for (var i = 0; i < results.Count; i++)
        {
            completion += results[i].CompletionTokens;
            if (i % n != 0) continue;
            prompt += results[i].PromptTokens;
            cached += results[i].CachedPromptTokens;
        }
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", prompt);
        w.WriteNumber("completion_tokens", completion);
        w.WriteNumber("total_tokens", prompt + completion);
        w.WriteStartObject("prompt_tokens_details");
        w.WriteNumber("cached_tokens", cached);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>A fresh response id with the given prefix (chatcmpl-, cmpl-).</summary>
    public static string NewId(string prefix) => prefix + Guid.NewGuid().ToString("N")[..24];
}
