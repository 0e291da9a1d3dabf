using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Moxing.Inference.Generation;
using Moxing.Inference.Reasoning;
using Moxing.Inference.Tools;
using Moxing.Server.Generation;
using Moxing.Server.Http;
using Moxing.Server.Metering;

namespace Moxing.Server.Ollama;

/// <summary>
/// Writes an Ollama chat or generate reply: NDJSON lines of text with <c>done: false</c>, then a final line with
/// <c>done_reason</c>, token counts and durations in nanoseconds; or one object when not streaming.
/// </summary>
public sealed class OllamaResponse(bool chat, string model, TimeSpan loadDuration, long startTimestamp)
{
    /// <summary>Token ids of the prompt, for /api/generate's <c>context</c> (null: not reported).</summary>
    public int[]? ContextPrefix { get; init; }

    /// <summary>How chat replies are searched for tool calls; null: the reply is all content.</summary>
    public ToolCallParsing? Tools { get; init; }

    /// <summary>How a thinking model's think block is split off into <c>thinking</c> (think: true); null: it stays in the text.</summary>
    public ReasoningParsing? Reasoning { get; init; }

    /// <summary>Streams or collects <paramref name="events"/> (one choice) and writes the reply.</summary>
    public async Task WriteAsync(HttpContext context, IAsyncEnumerable<ChoiceEvent> events, bool stream)
    {
        var cancellation = context.RequestAborted;
        var lines = JsonStreamWriter.JsonLines(context.Response);
        StringBuilder text = new(), thinking = new();
        var generated = new List<int>();
        CompletionResult? result = null;
        var parser = Tools is null && Reasoning is null ? null : new ReplyParser(Reasoning, Tools);
        try
        {
            await foreach (var e in events)
            {
                if (e.Result is { } r) result = r;
                else if (e.Piece is { } piece)
                {
                    foreach (var t in piece.Tokens) generated.Add(t.Id);
                    var (shown, thoughts) = parser is null ? (piece.Text, "") : Split(parser.Push(piece.Text));
                    if (!stream)
                    {
                        text.Append(shown);
                        thinking.Append(thoughts);
                    }
                    else if (parser is null || shown.Length > 0 || thoughts.Length > 0)
                        await lines.WriteAsync(w => WriteLine(w, shown, null, generated, thinking: thoughts), cancellation);
                }
            }
        }
        catch (Exception ex) when (context.Response.HasStarted && !cancellation.IsCancellationRequested)
        {
            var error = ApiError.From(ex);
            MeteredRequest.Of(context)?.Fail(error);
            await lines.WriteLastAsync(w => ApiError.Write(w, error, ollama: true), cancellation);
            return;
        }
        var (rest, heldThoughts) = Split(parser?.Finish() ?? []);
        var calls = parser?.Calls ?? [];
        if (stream)
        {
            // Ollama sends the calls in a line of their own once they are complete.
            if (rest.Length > 0 || heldThoughts.Length > 0 || calls.Count > 0)
                await lines.WriteAsync(w => WriteLine(w, rest, null, generated, calls, heldThoughts), cancellation);
            await lines.WriteLastAsync(w => WriteLine(w, "", result, generated), cancellation);
        }
        else
            await JsonStreamWriter.WriteObjectAsync(context, w =>
                WriteLine(w, text.Append(rest).ToString(), result, generated, calls, thinking.Append(heldThoughts).ToString()));
    }

    // The content and the reasoning text of some reply deltas (calls are sent once complete).
    private static (string Answer, string Thinking) Split(IReadOnlyList<ToolCallDelta> deltas)
    {
        StringBuilder answer = new(), thinking = new();
        foreach (var delta in deltas) (delta.IsReasoning ? thinking : answer).Append(delta.Content);
        return (answer.ToString(), thinking.ToString());
    }

    private void WriteLine(Utf8JsonWriter w, string text, CompletionResult? result, List<int> generated, IReadOnlyList<ToolCall>? calls = null,
        string? thinking = null)
    {
        WriteStart(w, chat, model, text, calls, thinking);
        w.WriteBoolean("done", result is not null);
        if (result is not null)
        {
            w.WriteString("done_reason", result.Finish is FinishReason.Length or FinishReason.ContextFull ? "length" : "stop");
            if (ContextPrefix is not null)
            {
                w.WriteStartArray("context");
                foreach (var id in ContextPrefix) w.WriteNumberValue(id);
                foreach (var id in generated) w.WriteNumberValue(id);
                w.WriteEndArray();
            }
            WriteDurations(w, Stopwatch.GetElapsedTime(startTimestamp), loadDuration);
            w.WriteNumber("prompt_eval_count", result.PromptTokens);
            w.WriteNumber("prompt_eval_duration", Nanoseconds(result.PromptTime));
            w.WriteNumber("eval_count", result.CompletionTokens);
            w.WriteNumber("eval_duration", Nanoseconds(result.GenerationTime));
        }
        w.WriteEndObject();
    }

    /// <summary>Opens a reply object: model, created_at, and the text (and any reasoning, as thinking) as the assistant's message
    /// (chat) or as response (generate).</summary>
    public static void WriteStart(Utf8JsonWriter w, bool chat, string model, string text, IReadOnlyList<ToolCall>? calls = null, string? thinking = null)
    {
        w.WriteStartObject();
        w.WriteString("model", model);
        w.WriteString("created_at", DateTimeOffset.UtcNow.ToString("O"));
        if (chat)
        {
            w.WriteStartObject("message");
            w.WriteString("role", "assistant");
            w.WriteString("content", text);
            if (!string.IsNullOrEmpty(thinking)) w.WriteString("thinking", thinking);
            if (calls is { Count: > 0 }) WriteToolCalls(w, calls);
            w.WriteEndObject();
            return;
        }
        w.WriteString("response", text);
        if (!string.IsNullOrEmpty(thinking)) w.WriteString("thinking", thinking);
    }

    // Ollama's tool_calls carry the arguments as a JSON object; text that is not one (a call cut off by the token limit) stays a string.
    private static void WriteToolCalls(Utf8JsonWriter w, IReadOnlyList<ToolCall> calls)
    {
        w.WriteStartArray("tool_calls");
        for (var i = 0; i < calls.Count; i++)
        {
            w.WriteStartObject();
            w.WriteStartObject("function");
            w.WriteNumber("index", i);
            w.WriteString("name", calls[i].Name);
            w.WritePropertyName("arguments");
            if (ArgumentsObject(calls[i].Arguments) is { } arguments) arguments.WriteTo(w);
            else w.WriteStringValue(calls[i].Arguments);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static JsonObject? ArgumentsObject(string text)
    {
        try
        {
            return JsonNode.Parse(text, documentOptions: JsonRequest.ParseOptions) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Writes total_duration and load_duration in nanoseconds.</summary>
    public static void WriteDurations(Utf8JsonWriter w, TimeSpan total, TimeSpan load)
    {
        w.WriteNumber("total_duration", Nanoseconds(total));
        w.WriteNumber("load_duration", Nanoseconds(load));
    }

    /// <summary>A duration in nanoseconds, as Ollama reports them.</summary>
    public static long Nanoseconds(TimeSpan span) => span.Ticks * 100;
}
