using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Moxing.Inference.Constraints;
using Moxing.Server.Generation;
using Moxing.Server.Http;
using Moxing.Server.Metering;
using Moxing.Server.Models;

namespace Moxing.Server.Ollama;

/// <summary><c>POST /api/chat</c> and <c>POST /api/generate</c>: Ollama's chat and prompt completion, streamed as NDJSON by default.</summary>
public sealed class OllamaChatEndpoint(ModelManager models)
{
    /// <summary>Handles /api/chat.</summary>
    public Task ChatAsync(HttpContext context) => HandleAsync(context, chat: true);

    /// <summary>Handles /api/generate.</summary>
    public Task GenerateAsync(HttpContext context) => HandleAsync(context, chat: false);

    private async Task HandleAsync(HttpContext context, bool chat)
    {
        var started = Stopwatch.GetTimestamp();
        var cancellation = context.RequestAborted;
        var r = await OllamaRequest.ReadAsync(context);
        var modelName = r.RequiredString("model");
        var stream = r.Bool("stream") ?? true;
        var keepAlive = KeepAlive.Parse(r.Node("keep_alive"));
        var defaults = models.DefaultsOf(modelName);
        var parameters = OllamaOptions.Read(r, defaults, out var numCtx);
        parameters = parameters with { Constraint = ReadFormat(r) };
        var (think, variables) = Think(r);
        JsonArray? messages = null;
        var images = new PromptImages();
        string? prompt = null, system = null;
        int[]? previous = null;
        var raw = false;
        ToolUse? tools = null;
        if (chat)
        {
            messages = Messages(r, images);
            tools = ToolUse.Read(r, withChoice: false);
        }
        else
        {
            prompt = r.String("prompt");
            system = r.String("system");
            raw = r.Bool("raw") ?? false;
            if (r.String("template") is { Length: > 0 }) throw r.Unsupported("template", "Go templates; the model's own chat template is used");
            if (r.String("suffix") is { Length: > 0 }) throw r.Unsupported("suffix", "fill-in-the-middle is not available");
            if (r.Array("images") is { } sent)
                for (var i = 0; i < sent.Count; i++)
                    images.AddBase64(JsonValues.IsString(sent[i]) ? sent[i]!.GetValue<string>() : throw ApiException.BadParameter($"images[{i}]", $"'images[{i}]' must be a base64 string"), $"images[{i}]");
            previous = r.Array("context") is { } earlier ? JsonValues.TokenIds(earlier, "context") : null;
        }
        r.RejectUnknown();

        using var lease = await models.AcquireAsync(modelName, keepAlive, cancellation);
        var model = lease.Resident;
        if (chat ? messages!.Count == 0 : string.IsNullOrEmpty(prompt) && previous is null)
        {
            // An empty request only loads (or, with keep_alive 0, unloads) the model.
            await WriteLoadReplyAsync(context, chat, modelName, keepAlive == TimeSpan.Zero ? "unload" : "load");
            return;
        }
        int[] ids;
        var parsing = tools is null ? null : new ToolCallParsing(tools.FormatFor(model), tools.Parallel, tools.Definitions);
        ReasoningParsing? reasoning = null;
        if (images.Count > 0 && previous is not null) throw ApiException.BadParameter("context", "'context' cannot be continued with new images; send the conversation to /api/chat");
        if (chat) ids = ChatPrompt.Encode(model, ChatPrompt.WithDefaultSystem(messages!, defaults?.System), tools?.TemplateTools, variables, out reasoning, images);
        else if (raw || model.Model.ChatTemplates is null) ids = [.. previous ?? [], .. ChatPrompt.EncodeRaw(model, prompt ?? "", "prompt", images)];
        else ids = [.. previous ?? [], .. ChatPrompt.Encode(model, Conversation(string.IsNullOrEmpty(system) ? defaults?.System : system,
            string.Concat(Enumerable.Repeat(Moxing.Models.Vision.ImagePrompt.Marker, images.Count)) + (prompt ?? "")), null, variables, out reasoning, images)];
        parameters = parameters with { Spans = images.Spans };
        if (think && reasoning is null) throw ApiException.BadParameter("think", $"'think' is set but '{modelName}' does not support thinking: its chat template writes no think blocks");
        parameters = parameters.DecodingFor(reasoning, parsing) with { MaxTokens = OllamaOptions.CapByContext(parameters.MaxTokens, numCtx, ids.Length) };
        var response = new OllamaResponse(chat, modelName, lease.LoadDuration, started)
        {
            ContextPrefix = chat ? null : ids,
            Tools = parsing,
            // a harmony reply is always split, as Ollama splits gpt-oss's: its markup is no text to show
            Reasoning = reasoning?.Splitting(think || reasoning.Harmony, parsing),
        };
        await response.WriteAsync(context, ChoiceRunner.RunAsync(model, ids, parameters, 1, MeteredRequest.Of(context), chat ? "messages" : "prompt", cancellation), stream);
    }

    private static Task WriteLoadReplyAsync(HttpContext context, bool chat, string model, string reason) =>
        JsonStreamWriter.WriteObjectAsync(context, w =>
        {
            OllamaResponse.WriteStart(w, chat, model, "");
            w.WriteBoolean("done", true);
            w.WriteString("done_reason", reason);
            w.WriteEndObject();
        });

    private static JsonArray Conversation(string? system, string prompt)
    {
        var messages = new JsonArray();
        if (!string.IsNullOrEmpty(system)) messages.Add((JsonNode)new JsonObject { ["role"] = "system", ["content"] = system });
        messages.Add((JsonNode)new JsonObject { ["role"] = "user", ["content"] = prompt });
        return messages;
    }

    // Ollama's messages; a message's images (base64) go before its text, as Ollama places them.
    private static JsonArray Messages(JsonRequest r, PromptImages images)
    {
        var list = r.Array("messages") ?? [];
        var result = new JsonArray();
        for (var i = 0; i < list.Count; i++)
        {
            var path = $"messages[{i}]";
            var message = ChatPrompt.Normalize(list[i], path);
            if (!JsonValues.IsString(message["content"])) throw ApiException.BadParameter(path + ".content", $"'{path}.content' must be a string");
            if (message["images"] is JsonArray sent)
            {
                var markers = new System.Text.StringBuilder();
                for (var j = 0; j < sent.Count; j++)
                    markers.Append(images.AddBase64(JsonValues.IsString(sent[j]) ? sent[j]!.GetValue<string>()
                        : throw ApiException.BadParameter($"{path}.images[{j}]", $"'{path}.images[{j}]' must be a base64 string"), $"{path}.images[{j}]"));
                message["content"] = markers + message["content"]!.GetValue<string>();
            }
            message.Remove("images");
            result.Add((JsonNode)message);
        }
        return result;
    }

    // format: "json" for any JSON object, or a JSON schema; enforced by constrained decoding.
    private static Func<Moxing.Models.LoadedModel, ITokenConstraint>? ReadFormat(JsonRequest r)
    {
        var format = r.Node("format");
        if (format is null) return null;
        if (JsonValues.IsString(format))
            return format.GetValue<string>() switch
            {
                "" => null,
                "json" => JsonFormat.AnyObject(),
                _ => throw ApiException.BadParameter("format", "'format' must be \"json\" or a JSON schema object"),
            };
        return JsonFormat.Schema(format, "format");
    }

    // think: false renders the template with enable_thinking off (Qwen3 and the like); true, or an effort (low, medium, high:
    // gpt-oss's levels, passed as reasoning_effort), splits the think block off as thinking.
    private static (bool Think, Dictionary<string, object?>? Variables) Think(JsonRequest r)
    {
        var node = r.Node("think");
        if (node is null) return (false, null);
        if (JsonValues.IsString(node))
        {
            var level = node.GetValue<string>();
            return level is "low" or "medium" or "high"
                ? (true, ReasoningEffort.Variables(level))
                : throw ApiException.BadParameter("think", "'think' must be true, false, \"low\", \"medium\" or \"high\"");
        }
        return r.Bool("think") == true ? (true, null) : (false, new Dictionary<string, object?> { ["enable_thinking"] = false });
    }
}
