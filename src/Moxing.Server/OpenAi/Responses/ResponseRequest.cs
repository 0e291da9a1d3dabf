using System.Text.Json;
using System.Text.Json.Nodes;
using Moxing.Server.Generation;
using Moxing.Server.Http;

namespace Moxing.Server.OpenAi.Responses;

/// <summary>
/// A <c>POST /v1/responses</c> request read and checked field by field: the conversation, how to generate, and the settings
/// the response object echoes back as OpenAI does.
/// </summary>
public sealed class ResponseRequest
{

    /// <summary>Most metadata pairs (OpenAI's limit).</summary>
    public const int MaxMetadata = 16;

    private readonly JsonObject _body;

    private ResponseRequest(JsonObject body, string model, JsonArray messages, PromptImages images)
    {
        _body = body;
        Model = model;
        Messages = messages;
        Images = images;
    }

    /// <summary>The model asked for.</summary>
    public string Model { get; }

    /// <summary>The conversation in the template's shape.</summary>
    public JsonArray Messages { get; }

    /// <summary>The input's images (input_image parts), each a marker in its message's text.</summary>
    public PromptImages Images { get; }

    /// <summary>Stream events rather than one object.</summary>
    public bool Stream { get; private init; }

    /// <summary>Sampling, limit and output-format constraint.</summary>
    public GenerationParameters Parameters { get; private init; } = new();

    /// <summary>The function tools and how they may be used; null: none.</summary>
    public ToolUse? Tools { get; private init; }

    /// <summary>reasoning.effort; null when not given.</summary>
    public string? Effort { get; private init; }

    /// <summary>reasoning.summary; null when no summary was asked for.</summary>
    public string? Summary { get; private init; }

    /// <summary>Template variables the request implies (enable_thinking, reasoning_effort); null: none.</summary>
    public Dictionary<string, object?>? Variables { get; private init; }

    /// <summary>
    /// Reads and checks the whole request over the model's own defaults (from <paramref name="defaultsOf"/>: stop strings, sampling,
    /// system prompt); any field unknown here is a 400 naming it.
    /// </summary>
    public static ResponseRequest Read(JsonRequest r, Func<string, Store.ModelDefaults?> defaultsOf)
    {
        var model = r.RequiredString("model");
        var defaults = defaultsOf(model);
        var images = new PromptImages();
        var messages = ChatPrompt.WithDefaultSystem(ResponseInput.Messages(r, images), defaults?.System);
        var maxTokens = r.Int("max_output_tokens", 1);
        var parameters = OpenAiParameters.Read(r, maxTokens, defaults);
        if (r.Nested("text") is { } text)
        {
            if (text.Nested("format") is { } format) parameters = parameters with { Constraint = JsonFormat.Read(format, flat: true) };
            text.RejectUnknown();
        }
        var tools = ToolUse.Read(r, withChoice: true, flat: true);
        var (effort, summary) = Reasoning(r);
        ReadEchoes(r);
        if (r.Bool("store") == true)
            throw r.Unsupported("store", "responses are not stored here; send 'store': false (or leave it out) and the whole conversation in 'input'");
        if (r.Has("previous_response_id")) throw r.Unsupported("previous_response_id", "responses are not stored here; send the whole conversation in 'input'");
        var request = new ResponseRequest(r.Body, model, messages, images)
        {
            Stream = r.Bool("stream") ?? false,
            Parameters = parameters,
            Tools = tools,
            Effort = effort,
            Summary = summary,
            Variables = effort is null ? null : ReasoningEffort.Variables(effort),
        };
        r.RejectUnknown();
        return request;
    }

    // reasoning: {effort, summary}; a summary is the whole reasoning (this server does not summarize).
    private static (string? Effort, string? Summary) Reasoning(JsonRequest r)
    {
        var reasoning = r.Nested("reasoning");
        if (reasoning is null) return (null, null);
        var effort = reasoning.String("effort") is { } named ? ReasoningEffort.Check(named, reasoning.Name("effort")) : null;
        var summary = reasoning.String("summary") ?? reasoning.String("generate_summary");
        if (summary is not null and not ("auto" or "concise" or "detailed"))
            throw ApiException.BadParameter(reasoning.Name("summary"), $"'{reasoning.Name("summary")}' must be auto, concise or detailed");
        reasoning.RejectUnknown();
        return (effort, summary);
    }

    // Fields that change nothing here but are echoed: metadata, user, truncation (only "disabled"), include (none understood).
    private static void ReadEchoes(JsonRequest r)
    {
        if (r.Object("metadata") is { } metadata)
        {
            if (metadata.Count > MaxMetadata) throw ApiException.BadParameter("metadata", $"'metadata' holds at most {MaxMetadata} pairs");
            foreach (var (key, value) in metadata)
                if (!JsonValues.IsString(value)) throw ApiException.BadParameter("metadata", $"'metadata.{key}' must be a string");
        }
        r.String("user");
        var truncation = r.String("truncation");
        if (truncation is "auto") throw r.Unsupported("truncation", "\"auto\" (a conversation longer than the context is a 400 instead)");
        if (truncation is not (null or "disabled")) throw r.Wrong("truncation", "\"disabled\" or \"auto\"");
        if (r.Array("include") is { Count: > 0 } include)
            throw ApiException.Unsupported("include[0]", $"{include[0]?.ToJsonString()} (nothing can be included in this server's responses)");
    }

    /// <summary>Writes the request settings a response object echoes (instructions, limits, sampling, tools, text, reasoning, …).</summary>
    public void WriteEchoes(Utf8JsonWriter w)
    {
        WriteNode(w, "instructions", _body["instructions"]);
        WriteNode(w, "max_output_tokens", _body["max_output_tokens"]);
        w.WriteNull("max_tool_calls");
        w.WriteBoolean("parallel_tool_calls", Tools?.Parallel ?? (_body["parallel_tool_calls"]?.GetValue<bool>() ?? true));
        w.WriteNull("previous_response_id");
        w.WriteStartObject("reasoning");
        WriteString(w, "effort", Effort);
        WriteString(w, "summary", Summary);
        w.WriteEndObject();
        w.WriteBoolean("store", false);
        WriteNode(w, "temperature", _body["temperature"] ?? 1.0);
        WriteNode(w, "text", _body["text"] ?? new JsonObject { ["format"] = new JsonObject { ["type"] = "text" } });
        WriteNode(w, "tool_choice", _body["tool_choice"] ?? "auto");
        w.WriteStartArray("tools");
        foreach (var tool in _body["tools"] as JsonArray ?? [])
        {
            var echoed = (JsonObject)tool!.DeepClone();
            // OpenAI's function tools are strict unless told otherwise
            echoed["description"] ??= null;
            echoed["parameters"] ??= null;
            echoed["strict"] ??= true;
            echoed.WriteTo(w);
        }
        w.WriteEndArray();
        WriteNode(w, "top_p", _body["top_p"] ?? 1.0);
        w.WriteString("truncation", "disabled");
        WriteNode(w, "user", _body["user"]);
        WriteNode(w, "metadata", _body["metadata"] ?? new JsonObject());
    }

    private static void WriteNode(Utf8JsonWriter w, string name, JsonNode? value)
    {
        w.WritePropertyName(name);
        if (value is null) w.WriteNullValue();
        else value.WriteTo(w);
    }

    private static void WriteString(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name);
        else w.WriteString(name, value);
    }
}
