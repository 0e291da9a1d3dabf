using System.Text.Json.Nodes;
using Moxing.Server.Generation;
using Moxing.Server.Http;

namespace Moxing.Server.OpenAi.Responses;

/// <summary>
/// The Responses API's <c>instructions</c> and <c>input</c> as chat messages in the template's shape: instructions a system
/// message first, message items as they are, <c>function_call</c> items an assistant message's tool_calls, <c>function_call_output</c>
/// items tool messages, and <c>reasoning</c> items the next assistant message's reasoning_content.
/// </summary>
public static class ResponseInput
{
    private static readonly string[] Roles = ["user", "system", "developer", "assistant"];

    /// <summary>
    /// Reads both fields, the messages' input_image parts (data: URLs) into <paramref name="images"/>; anything else, or an item this server
    /// cannot render, is a 400 naming it.
    /// </summary>
    public static JsonArray Messages(JsonRequest r, PromptImages images)
    {
        var messages = new List<(JsonObject Message, string Path)>();
        if (r.String("instructions") is { } instructions) messages.Add((new JsonObject { ["role"] = "system", ["content"] = instructions }, "instructions"));
        var input = r.Node("input") ?? throw new ApiException(400, "'input' is required", param: "input", code: "missing_required_parameter");
        if (JsonValues.IsString(input)) messages.Add((new JsonObject { ["role"] = "user", ["content"] = input.GetValue<string>() }, "input"));
        else if (input is JsonArray { Count: > 0 } items) AddItems(items, messages, images);
        else throw ApiException.BadParameter("input", "'input' must be a string or a non-empty array of input items");
        var result = new JsonArray();
        foreach (var (message, path) in messages) result.Add((JsonNode)ChatPrompt.Normalize(message, path));
        return result;
    }

    private static void AddItems(JsonArray items, List<(JsonObject Message, string Path)> messages, PromptImages images)
    {
        string? reasoning = null;
        var callNames = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            var path = $"input[{i}]";
            if (items[i] is not JsonObject o) throw ApiException.BadParameter(path, $"'{path}' must be an input item object");
            var item = new JsonRequest(o, path + ".");
            // echoed output items carry their id and status; neither changes what the model sees
            item.String("id");
            item.String("status");
            var type = item.String("type") ?? "message";
            switch (type)
            {
                case "message":
                    var message = Message(item, images);
                    if (message["role"]!.GetValue<string>() == "assistant") TakeReasoning(message, ref reasoning);
                    messages.Add((message, path));
                    break;
                case "function_call":
                    var callId = item.RequiredString("call_id");
                    var name = item.RequiredString("name");
                    var call = new JsonObject
                    {
                        ["id"] = callId,
                        ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = name, ["arguments"] = item.RequiredString("arguments") },
                    };
                    callNames[callId] = name;
                    AssistantFor(messages, path, ref reasoning).Add((JsonNode)call);
                    break;
                case "function_call_output":
                    var id = item.RequiredString("call_id");
                    var output = item.Node("output") switch
                    {
                        JsonArray parts => ChatPrompt.JoinText(parts, item.Name("output"), "input_text"),
                        var node when JsonValues.IsString(node) => node!.GetValue<string>(),
                        _ => throw item.Wrong("output", "a string or an array of input_text parts"),
                    };
                    var tool = new JsonObject { ["role"] = "tool", ["tool_call_id"] = id, ["content"] = output };
                    if (callNames.TryGetValue(id, out var called)) tool["name"] = called;
                    messages.Add((tool, path));
                    break;
                case "reasoning":
                    reasoning = Reasoning(item);
                    break;
                case "item_reference":
                    throw ApiException.Unsupported(item.Name("type"), "items of type \"item_reference\" (responses are not stored here; send the item itself)");
                default:
                    throw ApiException.Unsupported(item.Name("type"), $"input items of type \"{type}\" (understood: message, function_call, function_call_output, reasoning)");
            }
            item.RejectUnknown();
        }
    }

    // {role, content: string | [input_text/output_text/input_image parts]}
    private static JsonObject Message(JsonRequest item, PromptImages images)
    {
        var role = item.RequiredString("role");
        if (!Roles.Contains(role)) throw ApiException.BadParameter(item.Name("role"), $"'{item.Name("role")}' is '{role}'; expected one of {string.Join(", ", Roles)}");
        var content = item.Node("content") switch
        {
            null => throw new ApiException(400, $"'{item.Name("content")}' is required", param: item.Name("content"), code: "missing_required_parameter"),
            JsonArray parts => ChatPrompt.JoinText(parts, item.Name("content"), images, "input_text", "output_text"),
            var node when JsonValues.IsString(node) => node.GetValue<string>(),
            _ => throw item.Wrong("content", "a string or an array of content parts"),
        };
        return new JsonObject { ["role"] = role, ["content"] = content };
    }

    // The assistant message a function_call item belongs to: the one just before it, or a new one.
    private static JsonArray AssistantFor(List<(JsonObject Message, string Path)> messages, string path, ref string? reasoning)
    {
        if (messages.Count > 0 && messages[^1].Message["role"]!.GetValue<string>() == "assistant")
        {
            var last = messages[^1].Message;
            return last["tool_calls"] as JsonArray ?? (JsonArray)(last["tool_calls"] = new JsonArray());
        }
        var message = new JsonObject { ["role"] = "assistant", ["content"] = "", ["tool_calls"] = new JsonArray() };
        TakeReasoning(message, ref reasoning);
        messages.Add((message, path));
        return (JsonArray)message["tool_calls"]!;
    }

    private static void TakeReasoning(JsonObject message, ref string? reasoning)
    {
        if (reasoning is not null) message["reasoning_content"] = reasoning;
        reasoning = null;
    }

    // A reasoning item's text: its reasoning_text content, else its summary (encrypted reasoning cannot be read back).
    private static string Reasoning(JsonRequest item)
    {
        if (item.Has("encrypted_content"))
            throw ApiException.Unsupported(item.Name("encrypted_content"), "this server writes no encrypted reasoning and cannot read any");
        var content = item.Array("content") is { } parts ? ChatPrompt.JoinText(parts, item.Name("content"), "reasoning_text") : "";
        var summary = item.Array("summary") is { } summaries ? ChatPrompt.JoinText(summaries, item.Name("summary"), "summary_text") : "";
        return content.Length > 0 ? content : summary;
    }
}
