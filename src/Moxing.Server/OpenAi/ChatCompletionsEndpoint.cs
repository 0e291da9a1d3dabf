using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Moxing.Inference.Constraints;
using Moxing.Server.Generation;
using Moxing.Server.Http;
using Moxing.Server.Metering;
using Moxing.Server.Models;

namespace Moxing.Server.OpenAi;

/// <summary><c>POST /v1/chat/completions</c>: a conversation in, the assistant's reply out (whole or streamed).</summary>
public sealed class ChatCompletionsEndpoint(ModelManager models)
{
    /// <summary>Handles one request.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        var cancellation = context.RequestAborted;
        var r = await JsonRequest.ReadAsync(context.Request, cancellation);
        var modelName = r.RequiredString("model");
        var images = new PromptImages();
        var messages = Messages(r, images);
        var stream = r.Bool("stream") ?? false;
        var includeUsage = StreamOptions(r, stream);
        var n = r.Int("n", 1, 16) ?? 1;
        var maxTokens = r.Int("max_completion_tokens", 1) ?? r.Int("max_tokens", 1);
        var defaults = models.DefaultsOf(modelName);
        var parameters = OpenAiParameters.Read(r, maxTokens, defaults);
        var logprobs = r.Bool("logprobs") ?? false;
        var top = r.Int("top_logprobs", 0, 20) ?? 0;
        if (top > 0 && !logprobs) throw ApiException.BadParameter("top_logprobs", "'top_logprobs' needs 'logprobs': true");
        parameters = parameters with { Logprobs = logprobs, TopLogprobs = top };
        parameters = parameters with { Constraint = r.Nested("response_format") is { } format ? JsonFormat.Read(format, flat: false) : null };
        var tools = ToolUse.Read(r, withChoice: true);
        r.String("user");
        var effort = r.String("reasoning_effort") is { } named ? ReasoningEffort.Check(named, "reasoning_effort") : null;
        var variables = effort is null ? TemplateVariables(r) : ReasoningEffort.Variables(effort, TemplateVariables(r));
        var splitReasoning = ReasoningFormat(r);
        r.RejectUnknown();

        using var lease = await models.AcquireAsync(modelName, null, cancellation);
        var model = lease.Resident;
        var calls = ToolUse.CallsFor(tools, model, ref parameters, "response_format");
        OpenAiParameters.CheckModel(parameters, model, r.Has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens");
        var ids = ChatPrompt.Encode(model, ChatPrompt.WithDefaultSystem(messages, defaults?.System), tools?.TemplateTools, variables, out var reasoning, images);
        parameters = parameters with { Spans = images.Spans };
        ReasoningEffort.RequireReasoning(effort, reasoning, modelName, "reasoning_effort");
        parameters = parameters.DecodingFor(reasoning, calls);
        var response = new CompletionResponse(chat: true, modelName, model.Model.RequireTokenizer(), logprobs, n)
        {
            Tools = calls,
            Reasoning = reasoning?.Splitting(splitReasoning, calls),
        };
        var events = ChoiceRunner.RunAsync(model, ids, parameters, n, MeteredRequest.Of(context), "messages", cancellation);
        if (stream) await response.WriteStreamAsync(context, events, includeUsage);
        else await response.WriteWholeAsync(context, events);
    }

    /// <summary>stream_options.include_usage (only with stream).</summary>
    internal static bool StreamOptions(JsonRequest r, bool stream)
    {
        var options = r.Nested("stream_options");
        if (options is null) return false;
        if (!stream) throw ApiException.BadParameter("stream_options", "'stream_options' is only allowed when 'stream' is true");
        var include = options.Bool("include_usage") ?? false;
        options.RejectUnknown();
        return include;
    }

    // OpenAI messages → the template's shape: content parts joined into one string (text parts, and image_url parts as markers).
    private static JsonArray Messages(JsonRequest r, PromptImages images)
    {
        var list = r.Array("messages") ?? throw new ApiException(400, "'messages' is required", param: "messages", code: "missing_required_parameter");
        if (list.Count == 0) throw ApiException.BadParameter("messages", "'messages' must hold at least one message");
        var result = new JsonArray();
        for (var i = 0; i < list.Count; i++)
        {
            var path = $"messages[{i}]";
            var message = ChatPrompt.Normalize(list[i], path);
            if (message["content"] is JsonArray parts) message["content"] = ChatPrompt.JoinText(parts, path + ".content", images, "text");
            else if (message["content"] is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
                throw ApiException.BadParameter(path + ".content", $"'{path}.content' must be a string or an array of content parts");
            result.Add((JsonNode)message);
        }
        return result;
    }

    // llama.cpp's reasoning_format: "auto" (the default) splits a thinking model's think block into reasoning_content; "none" leaves it in the content.
    private static bool ReasoningFormat(JsonRequest r) => r.String("reasoning_format") switch
    {
        null or "auto" or "deepseek" => true,
        "none" => false,
        _ => throw ApiException.BadParameter("reasoning_format", "'reasoning_format' must be auto, deepseek or none"),
    };

    /// <summary>vLLM's chat_template_kwargs: extra template variables such as enable_thinking.</summary>
    internal static Dictionary<string, object?>? TemplateVariables(JsonRequest r)
    {
        var kwargs = r.Object("chat_template_kwargs");
        if (kwargs is null) return null;
        var variables = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in kwargs) variables[key] = value?.DeepClone();
        return variables;
    }
}
