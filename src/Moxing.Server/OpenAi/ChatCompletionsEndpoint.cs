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
        var messages = Messages(r);
        var stream = r.Bool("stream") ?? false;
        var includeUsage = StreamOptions(r, stream);
        var n = r.Int("n", 1, 16) ?? 1;
        var maxTokens = r.Int("max_completion_tokens", 1) ?? r.Int("max_tokens", 1);
        var parameters = OpenAiParameters.Read(r, maxTokens);
        var logprobs = r.Bool("logprobs") ?? false;
        var top = r.Int("top_logprobs", 0, 20) ?? 0;
        if (top > 0 && !logprobs) throw ApiException.BadParameter("top_logprobs", "'top_logprobs' needs 'logprobs': true");
        parameters = parameters with { Logprobs = logprobs, TopLogprobs = top };
        parameters = parameters with { Constraint = ReadResponseFormat(r) };
        var tools = ToolUse.Read(r, withChoice: true);
        r.String("user");
        var variables = TemplateVariables(r);
        var splitReasoning = ReasoningFormat(r);
        r.RejectUnknown();

        using var lease = await models.AcquireAsync(modelName, null, cancellation);
        var model = lease.Resident;
        var calls = CallsFor(tools, model, ref parameters);
        OpenAiParameters.CheckModel(parameters, model, r.Has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens");
        var ids = ChatPrompt.Encode(model, messages, tools?.TemplateTools, variables, out var reasoning);
        var response = new CompletionResponse(chat: true, modelName, model.Model.RequireTokenizer(), logprobs, n)
        {
            Tools = calls,
            Reasoning = splitReasoning ? reasoning : null,
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

    // OpenAI messages → the template's shape: content parts joined into one string (only text parts are understood).
    private static JsonArray Messages(JsonRequest r)
    {
        var list = r.Array("messages") ?? throw new ApiException(400, "'messages' is required", param: "messages", code: "missing_required_parameter");
        if (list.Count == 0) throw ApiException.BadParameter("messages", "'messages' must hold at least one message");
        var result = new JsonArray();
        for (var i = 0; i < list.Count; i++)
        {
            var path = $"messages[{i}]";
            var message = ChatPrompt.Normalize(list[i], path);
            if (message["content"] is JsonArray parts) message["content"] = JoinText(parts, path + ".content");
            else if (message["content"] is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
                throw ApiException.BadParameter(path + ".content", $"'{path}.content' must be a string or an array of content parts");
            result.Add((JsonNode)message);
        }
        return result;
    }

    private static string JoinText(JsonArray parts, string path)
    {
        var text = new StringBuilder();
        for (var j = 0; j < parts.Count; j++)
        {
            var part = parts[j] as JsonObject ?? throw ApiException.BadParameter($"{path}[{j}]", $"'{path}[{j}]' must be a content part object");
            var type = part["type"]?.GetValueKind() == JsonValueKind.String ? part["type"]!.GetValue<string>() : null;
            if (type != "text") throw ApiException.Unsupported($"{path}[{j}].type", $"content parts of type '{type}' (only 'text' is understood)");
            if (part["text"] is not JsonValue t || t.GetValueKind() != JsonValueKind.String)
                throw ApiException.BadParameter($"{path}[{j}].text", $"'{path}[{j}].text' must be a string");
            text.Append(t.GetValue<string>());
        }
        return text.ToString();
    }

    // response_format: text (default), json_object, or json_schema {name, schema, strict, description}, enforced by constrained decoding.
    private static Func<Moxing.Models.LoadedModel, ITokenConstraint>? ReadResponseFormat(JsonRequest r)
    {
        var format = r.Nested("response_format");
        if (format is null) return null;
        var type = format.RequiredString("type");
        Func<Moxing.Models.LoadedModel, ITokenConstraint>? constraint = type switch
        {
            "text" => null,
            "json_object" => JsonFormat.AnyObject(),
            "json_schema" => JsonSchema(format.Nested("json_schema")
                                        ?? throw ApiException.BadParameter("response_format.json_schema", "'response_format.json_schema' is required")),
            _ => throw ApiException.BadParameter("response_format.type", "'response_format.type' must be text, json_object or json_schema"),
        };
        format.RejectUnknown();
        return constraint;
    }

    private static Func<Moxing.Models.LoadedModel, ITokenConstraint> JsonSchema(JsonRequest spec)
    {
        spec.RequiredString("name");
        spec.String("description");
        // strict: the schema is always enforced, so strict and non-strict behave the same.
        spec.Bool("strict");
        var constraint = JsonFormat.Schema(spec.Node("schema") ?? new JsonObject(), spec.Name("schema"));
        spec.RejectUnknown();
        return constraint;
    }

    // The tool-call format to parse replies with (null: no tools in play), and for required/named choices the constraint that enforces a call.
    private static ToolCallParsing? CallsFor(ToolUse? tools, ResidentModel model, ref GenerationParameters parameters)
    {
        if (tools is null || tools.Choice == ToolChoice.None) return null;
        var format = tools.FormatFor(model);
        if (tools.Constraint(format) is { } constraint)
        {
            if (parameters.Constraint is not null)
                throw ApiException.BadParameter("response_format", "'response_format' cannot be combined with a 'tool_choice' that forces a call");
            parameters = parameters with { Constraint = constraint };
        }
        return new ToolCallParsing(format, tools.Parallel);
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
