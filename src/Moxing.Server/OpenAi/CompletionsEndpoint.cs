using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Moxing.Server.Generation;
using Moxing.Server.Http;
using Moxing.Server.Metering;
using Moxing.Server.Models;

namespace Moxing.Server.OpenAi;

/// <summary><c>POST /v1/completions</c>: plain text (or token ids) continued, no chat template.</summary>
public sealed class CompletionsEndpoint(ModelManager models)
{
    /// <summary>OpenAI's default max_tokens for text completions.</summary>
    public const int DefaultMaxTokens = 16;

    /// <summary>Handles one request.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        var cancellation = context.RequestAborted;
        var r = await JsonRequest.ReadAsync(context.Request, cancellation);
        var modelName = r.RequiredString("model");
        var prompt = r.Node("prompt") ?? throw new ApiException(400, "'prompt' is required", param: "prompt", code: "missing_required_parameter");
        var stream = r.Bool("stream") ?? false;
        var includeUsage = ChatCompletionsEndpoint.StreamOptions(r, stream);
        var n = r.Int("n", 1, 16) ?? 1;
        var bestOf = r.Int("best_of", 1, 16);
        if (bestOf is { } b && b != n) throw ApiException.Unsupported("best_of", "only best_of equal to n (no server-side ranking)");
        var defaults = models.DefaultsOf(modelName);
        var parameters = OpenAiParameters.Read(r, r.Int("max_tokens", 0) ?? defaults?.MaxTokens ?? DefaultMaxTokens, defaults);
        var top = r.Int("logprobs", 0, 5);
        parameters = parameters with { Logprobs = top is not null, TopLogprobs = top ?? 0 };
        var echo = r.Bool("echo") ?? false;
        parameters = parameters with { Echo = echo };
        if (r.String("suffix") is { Length: > 0 }) throw ApiException.Unsupported("suffix", "fill-in-the-middle is not available");
        r.String("user");
        r.RejectUnknown();
        if (parameters.MaxTokens == 0 && !echo) throw ApiException.BadParameter("max_tokens", "'max_tokens' may be 0 only with 'echo': true (the prompt scored)");

        using var lease = await models.AcquireAsync(modelName, null, cancellation);
        var model = lease.Resident;
        var prompts = Prompts(model, prompt, n);
        var vocab = model.Model.RequireDecoder().Options.VocabSize;
        OpenAiParameters.CheckModel(parameters, model, "max_tokens");
        foreach (var id in prompts.SelectMany(p => p))
            if ((uint)id >= (uint)vocab) throw ApiException.BadParameter("prompt", $"'prompt' holds token {id}; the vocabulary has {vocab} tokens");
        var response = new CompletionResponse(chat: false, modelName, model.Model.RequireTokenizer(), parameters.Logprobs, prompts.Count * n)
        {
            ChoicesPerPrompt = n,
        };
        var events = ChoiceRunner.RunAsync(model, prompts, parameters, n, MeteredRequest.Of(context), "prompt", cancellation);
        if (stream) await response.WriteStreamAsync(context, events, includeUsage);
        else await response.WriteWholeAsync(context, events);
    }

    /// <summary>Most choices (prompts × n) one request may ask for.</summary>
    public const int MaxChoices = 64;

    // A string, token ids (an array of integers), or a batch: an array of strings or of token-id arrays; choice p · n + j is
    // the j-th of prompt p, as OpenAI numbers them.
    private static List<int[]> Prompts(ResidentModel model, JsonNode prompt, int n)
    {
        if (JsonValues.IsString(prompt)) return [ChatPrompt.EncodeRaw(model, prompt.GetValue<string>(), "prompt")];
        if (JsonValues.IsIdList(prompt)) return [JsonValues.TokenIds((JsonArray)prompt, "prompt")];
        if (prompt is not JsonArray { Count: > 0 } batch)
            throw ApiException.BadParameter("prompt", "'prompt' must be a string, an array of strings, token ids, or an array of token-id arrays");
        if ((long)batch.Count * n > MaxChoices)
            throw ApiException.BadParameter("prompt", $"'prompt' holds {batch.Count} prompts; with n = {n} they would make {(long)batch.Count * n} choices, and a request may ask for at most {MaxChoices}");
        var prompts = new List<int[]>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            var item = batch[i];
            var path = $"prompt[{i}]";
            if (JsonValues.IsString(item)) prompts.Add(ChatPrompt.EncodeRaw(model, item!.GetValue<string>(), path));
            else if (JsonValues.IsIdList(item)) prompts.Add(JsonValues.TokenIds((JsonArray)item!, path));
            else throw ApiException.BadParameter(path, $"'{path}' must be a string or a non-empty array of token ids");
        }
        return prompts;
    }
}
