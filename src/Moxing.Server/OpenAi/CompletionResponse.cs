using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Moxing.Inference.Reasoning;
using Moxing.Inference.Scheduling;
using Moxing.Inference.Tools;
using Moxing.Server.Generation;
using Moxing.Server.Http;
using Moxing.Server.Metering;
using Moxing.Text.Tokenization;

namespace Moxing.Server.OpenAi;

/// <summary>
/// Writes the choices of a chat or text completion in OpenAI's shapes: one JSON object, or a stream of chunks
/// (role first, text deltas, a finish_reason per choice, an optional usage chunk, then <c>[DONE]</c>).
/// </summary>
public sealed class CompletionResponse(bool chat, string model, Tokenizer tokenizer, bool logprobs, int n)
{
    private readonly string _id = OpenAiParameters.NewId(chat ? "chatcmpl-" : "cmpl-");
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>Choices per prompt (the request's n) when the n choices written are those of several prompts; 0: all share one.</summary>
    public int ChoicesPerPrompt { get; init; }

    /// <summary>How chat replies are searched for tool calls; null: the reply is all content.</summary>
    public ToolCallParsing? Tools { get; init; }

    /// <summary>How chat replies' think blocks are split off into reasoning_content; null: they stay in the content.</summary>
    public ReasoningParsing? Reasoning { get; init; }

    private string ObjectName(bool chunk) => chat ? chunk ? "chat.completion.chunk" : "chat.completion" : "text_completion";

    /// <summary>Collects every choice and writes one response object.</summary>
    public async Task WriteWholeAsync(HttpContext context, IAsyncEnumerable<ChoiceEvent> events)
    {
        var texts = new StringBuilder[n];
        var tokens = new List<GeneratedToken>?[n];
        var results = new CompletionResult[n];
        for (var i = 0; i < n; i++)
        {
            texts[i] = new StringBuilder();
            tokens[i] = logprobs ? [] : null;
        }
        await foreach (var e in events)
        {
            if (e.Result is { } result) results[e.Index] = result;
            else if (e.Piece is { } piece)
            {
                texts[e.Index].Append(piece.Text);
                tokens[e.Index]?.AddRange(piece.Tokens);
            }
        }
        await JsonStreamWriter.WriteObjectAsync(context, w =>
        {
            WriteHeader(w, chunk: false);
            w.WriteStartArray("choices");
            for (var i = 0; i < n; i++)
            {
                w.WriteStartObject();
                w.WriteNumber("index", i);
                var calls = (IReadOnlyList<ToolCall>)[];
                if (chat)
                {
                    var content = texts[i].ToString();
                    string? reasoning = null;
                    if (Reasoning is not null || Tools is not null) (reasoning, content, calls) = ReplyParser.Parse(Reasoning, Tools, content);
                    w.WriteStartObject("message");
                    w.WriteString("role", "assistant");
                    if (reasoning is not null) w.WriteString("reasoning_content", reasoning);
                    // OpenAI sends null content beside tool calls when the model wrote nothing else.
                    if (calls.Count > 0 && string.IsNullOrWhiteSpace(content)) w.WriteNull("content");
                    else w.WriteString("content", content);
                    w.WriteNull("refusal");
                    if (calls.Count > 0) WriteToolCalls(w, calls);
                    w.WriteEndObject();
                    LogprobsWriter.WriteChat(w, tokenizer, tokens[i]);
                }
                else
                {
                    w.WriteString("text", texts[i].ToString());
                    LogprobsWriter.WriteLegacy(w, tokenizer, tokens[i], 0);
                }
                w.WriteString("finish_reason", FinishReason(results[i], calls.Count));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            OpenAiParameters.WriteUsage(w, results, ChoicesPerPrompt > 0 ? ChoicesPerPrompt : n);
            w.WriteEndObject();
        });
    }

    /// <summary>Streams the choices as server-sent events.</summary>
    public async Task WriteStreamAsync(HttpContext context, IAsyncEnumerable<ChoiceEvent> events, bool includeUsage)
    {
        var sse = JsonStreamWriter.ServerSentEvents(context.Response);
        var cancellation = context.RequestAborted;
        var results = new CompletionResult[n];
        var offsets = new int[n];
        var parsers = new ReplyParser?[n];
        for (var i = 0; i < n; i++)
            parsers[i] = chat && (Tools is not null || Reasoning is not null) ? new ReplyParser(Reasoning, Tools) : null;
        var started = false;
        try
        {
            await foreach (var e in events)
            {
                if (!started && chat)
                    for (var i = 0; i < n; i++)
                        await sse.WriteAsync(w => WriteChunk(w, i, Empty, null, null, includeUsage, role: true), cancellation);
                started = true;
                var parser = parsers[e.Index];
                if (e.Result is { } result)
                {
                    results[e.Index] = result;
                    foreach (var delta in parser?.Finish() ?? []) await sse.WriteAsync(w => WriteChunk(w, e.Index, delta, null, null, includeUsage), cancellation);
                    var finish = FinishReason(result, parser?.Calls.Count ?? 0);
                    await sse.WriteAsync(w => WriteChunk(w, e.Index, Empty, null, finish, includeUsage), cancellation);
                }
                else if (e.Piece is { } piece)
                {
                    var offset = offsets[e.Index];
                    offsets[e.Index] += piece.Text.Length;
                    var tokens = logprobs ? piece.Tokens : null;
                    if (parser is null)
                    {
                        await sse.WriteAsync(w => WriteChunk(w, e.Index, new ToolCallDelta(piece.Text), tokens, null, includeUsage, offset: offset), cancellation);
                        continue;
                    }
                    // Markup held back yields no delta; an empty content chunk still carries its tokens' logprobs.
                    var deltas = parser.Push(piece.Text);
                    if (deltas.Count == 0 && tokens is { Count: > 0 }) deltas = [Empty];
                    foreach (var delta in deltas)
                    {
                        var carried = tokens;
                        tokens = null;
                        await sse.WriteAsync(w => WriteChunk(w, e.Index, delta, carried, null, includeUsage), cancellation);
                    }
                }
            }
        }
        catch (Exception ex) when (context.Response.HasStarted && !cancellation.IsCancellationRequested)
        {
            // Headers are gone: the error travels as an event, as OpenAI's own streams do.
            var error = ApiError.From(ex);
            MeteredRequest.Of(context)?.Fail(error);
            await sse.WriteAsync(w => ApiError.Write(w, error, ollama: false), cancellation);
            await sse.DoneAsync(cancellation);
            return;
        }
        if (includeUsage)
            await sse.WriteAsync(w =>
            {
                WriteHeader(w, chunk: true);
                w.WriteStartArray("choices");
                w.WriteEndArray();
                OpenAiParameters.WriteUsage(w, results, ChoicesPerPrompt > 0 ? ChoicesPerPrompt : n);
                w.WriteEndObject();
            }, cancellation);
        await sse.DoneAsync(cancellation);
    }

    private static readonly ToolCallDelta Empty = new("");

    // "tool_calls" when a reply that ended by itself made calls; otherwise as for any completion.
    private static string FinishReason(CompletionResult result, int calls) =>
        calls > 0 && result.Finish == Inference.Generation.FinishReason.Stop ? "tool_calls" : OpenAiParameters.FinishReason(result.Finish);

    private static void WriteToolCalls(Utf8JsonWriter w, IReadOnlyList<ToolCall> calls)
    {
        w.WriteStartArray("tool_calls");
        foreach (var call in calls)
        {
            w.WriteStartObject();
            w.WriteString("id", call.Id);
            w.WriteString("type", "function");
            w.WriteStartObject("function");
            w.WriteString("name", call.Name);
            w.WriteString("arguments", call.Arguments);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    // delta.tool_calls[0]: index, and id/type/name on a call's first delta; arguments always (empty on the first).
    private static void WriteToolCallDelta(Utf8JsonWriter w, ToolCallDelta delta)
    {
        w.WriteStartArray("tool_calls");
        w.WriteStartObject();
        w.WriteNumber("index", delta.Index);
        if (delta.Id is not null)
        {
            w.WriteString("id", delta.Id);
            w.WriteString("type", "function");
        }
        w.WriteStartObject("function");
        if (delta.Name is not null) w.WriteString("name", delta.Name);
        w.WriteString("arguments", delta.Arguments);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
    }

    private void WriteChunk(Utf8JsonWriter w, int index, ToolCallDelta delta, IReadOnlyList<GeneratedToken>? tokens, string? finish, bool includeUsage,
        bool role = false, int offset = 0)
    {
        WriteHeader(w, chunk: true);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", index);
        if (chat)
        {
            w.WriteStartObject("delta");
            if (role) w.WriteString("role", "assistant");
            if (finish is null && delta.IsReasoning) w.WriteString("reasoning_content", delta.Content);
            else if (finish is null && delta.IsContent) w.WriteString("content", delta.Content);
            else if (finish is null) WriteToolCallDelta(w, delta);
            w.WriteEndObject();
            LogprobsWriter.WriteChat(w, tokenizer, tokens);
        }
        else
        {
            w.WriteString("text", delta.Content);
            LogprobsWriter.WriteLegacy(w, tokenizer, tokens, offset);
        }
        if (finish is null) w.WriteNull("finish_reason");
        else w.WriteString("finish_reason", finish);
        w.WriteEndObject();
        w.WriteEndArray();
        if (includeUsage) w.WriteNull("usage");
        w.WriteEndObject();
    }

    // Opens the object and writes id, object, created, model and system_fingerprint.
    private void WriteHeader(Utf8JsonWriter w, bool chunk)
    {
        w.WriteStartObject();
        w.WriteString("id", _id);
        w.WriteString("object", ObjectName(chunk));
        w.WriteNumber("created", _created);
        w.WriteString("model", model);
        w.WriteString("system_fingerprint", "moxing");
    }
}
