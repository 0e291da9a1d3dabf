using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Moxing.Inference.Scheduling;
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
                if (chat)
                {
                    w.WriteStartObject("message");
                    w.WriteString("role", "assistant");
                    w.WriteString("content", texts[i].ToString());
                    w.WriteNull("refusal");
                    w.WriteEndObject();
                    LogprobsWriter.WriteChat(w, tokenizer, tokens[i]);
                }
                else
                {
                    w.WriteString("text", texts[i].ToString());
                    LogprobsWriter.WriteLegacy(w, tokenizer, tokens[i], 0);
                }
                w.WriteString("finish_reason", OpenAiParameters.FinishReason(results[i].Finish));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            OpenAiParameters.WriteUsage(w, results);
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
        var started = false;
        try
        {
            await foreach (var e in events)
            {
                if (!started && chat)
                    for (var i = 0; i < n; i++)
                        await sse.WriteAsync(w => WriteChunk(w, i, "", null, null, includeUsage, role: true), cancellation);
                started = true;
                if (e.Result is { } result)
                {
                    results[e.Index] = result;
                    await sse.WriteAsync(w => WriteChunk(w, e.Index, "", null, OpenAiParameters.FinishReason(result.Finish), includeUsage), cancellation);
                }
                else if (e.Piece is { } piece)
                {
                    var offset = offsets[e.Index];
                    offsets[e.Index] += piece.Text.Length;
                    await sse.WriteAsync(w => WriteChunk(w, e.Index, piece.Text, logprobs ? piece.Tokens : null, null, includeUsage, offset: offset),
                        cancellation);
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
                OpenAiParameters.WriteUsage(w, results);
                w.WriteEndObject();
            }, cancellation);
        await sse.DoneAsync(cancellation);
    }

    private void WriteChunk(Utf8JsonWriter w, int index, string text, IReadOnlyList<GeneratedToken>? tokens, string? finish, bool includeUsage,
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
            if (finish is null) w.WriteString("content", text);
            w.WriteEndObject();
            LogprobsWriter.WriteChat(w, tokenizer, tokens);
        }
        else
        {
            w.WriteString("text", text);
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
