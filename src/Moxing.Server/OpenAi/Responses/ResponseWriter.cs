using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Moxing.Server.Generation;
using Moxing.Server.Http;
using Moxing.Server.Metering;

namespace Moxing.Server.OpenAi.Responses;

/// <summary>
/// Writes a response in OpenAI's Responses API shapes: one response object, or its server-sent events (response.created,
/// response.in_progress, each item's events, then response.completed, response.incomplete or, after a failure, error and
/// response.failed).
/// </summary>
public sealed class ResponseWriter(ResponseRequest request, ToolCallParsing? tools, ReasoningParsing? reasoning)
{
    private readonly string _id = OpenAiParameters.NewId("resp_");
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>Collects the reply and writes one response object.</summary>
    public async Task WriteWholeAsync(HttpContext context, IAsyncEnumerable<ChoiceEvent> events)
    {
        var output = new ResponseOutput(tools, reasoning, request.Summary is not null, null);
        CompletionResult? result = null;
        await foreach (var e in events)
        {
            if (e.Piece is { } piece) output.Add(piece);
            else result = e.Result;
        }
        output.Finish(IsIncomplete(result));
        await JsonStreamWriter.WriteObjectAsync(context, w => WriteResponse(w, output, result, null));
    }

    /// <summary>Streams the reply as server-sent events; the stream ends with the response's last event (no [DONE]).</summary>
    public async Task WriteStreamAsync(HttpContext context, IAsyncEnumerable<ChoiceEvent> events)
    {
        var sse = JsonStreamWriter.ServerSentEvents(context.Response);
        var cancellation = context.RequestAborted;
        var log = new ResponseEvents();
        var output = new ResponseOutput(tools, reasoning, request.Summary is not null, log);
        CompletionResult? result = null;
        var started = false;
        try
        {
            await foreach (var e in events)
            {
                // Headers wait for the first event, so a request refused before any generation still gets its status code.
                if (!started)
                {
                    log.Add("response.created", w => WriteResponseField(w, output, null, null));
                    log.Add("response.in_progress", w => WriteResponseField(w, output, null, null));
                    started = true;
                }
                if (e.Piece is { } piece) output.Add(piece);
                else result = e.Result;
                await log.FlushAsync(sse, cancellation);
            }
        }
        catch (Exception ex) when (context.Response.HasStarted && !cancellation.IsCancellationRequested)
        {
            // Headers are gone: the error travels as events, as OpenAI's own streams do.
            var error = ApiError.From(ex);
            MeteredRequest.Of(context)?.Fail(error);
            log.Add("error", w =>
            {
                w.WriteString("code", error.Code ?? error.Type);
                w.WriteString("message", error.Message);
                if (error.Param is null) w.WriteNull("param");
                else w.WriteString("param", error.Param);
            });
            log.Add("response.failed", w => WriteResponseField(w, output, null, error));
            await log.FlushAsync(sse, cancellation, last: true);
            return;
        }
        var incomplete = IsIncomplete(result);
        output.Finish(incomplete);
        log.Add(incomplete ? "response.incomplete" : "response.completed", w => WriteResponseField(w, output, result, null));
        await log.FlushAsync(sse, cancellation, last: true);
    }

    // A reply cut by max_output_tokens or the context.
    private static bool IsIncomplete(CompletionResult? result) =>
        result?.Finish is Inference.Generation.FinishReason.Length or Inference.Generation.FinishReason.ContextFull;

    private void WriteResponseField(Utf8JsonWriter w, ResponseOutput output, CompletionResult? result, ApiException? error)
    {
        w.WritePropertyName("response");
        WriteResponse(w, output, result, error);
    }

    // The response object: in progress until there is a result (or an error), then completed or incomplete with usage.
    private void WriteResponse(Utf8JsonWriter w, ResponseOutput output, CompletionResult? result, ApiException? error)
    {
        var incomplete = IsIncomplete(result);
        w.WriteStartObject();
        w.WriteString("id", _id);
        w.WriteString("object", "response");
        w.WriteNumber("created_at", _created);
        w.WriteString("status", error is not null ? "failed" : result is null ? "in_progress" : incomplete ? "incomplete" : "completed");
        w.WriteBoolean("background", false);
        if (error is null) w.WriteNull("error");
        else
        {
            w.WriteStartObject("error");
            w.WriteString("code", error.Code ?? error.Type);
            w.WriteString("message", error.Message);
            w.WriteEndObject();
        }
        if (!incomplete) w.WriteNull("incomplete_details");
        else
        {
            w.WriteStartObject("incomplete_details");
            w.WriteString("reason", "max_output_tokens");
            w.WriteEndObject();
        }
        w.WriteString("model", request.Model);
        output.Write(w);
        request.WriteEchoes(w);
        if (result is null) w.WriteNull("usage");
        else WriteUsage(w, result, output.ReasoningTokens);
        w.WriteEndObject();
    }

    private static void WriteUsage(Utf8JsonWriter w, CompletionResult result, int reasoningTokens)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("input_tokens", result.PromptTokens);
        w.WriteStartObject("input_tokens_details");
        w.WriteNumber("cached_tokens", result.CachedPromptTokens);
        w.WriteEndObject();
        w.WriteNumber("output_tokens", result.CompletionTokens);
        w.WriteStartObject("output_tokens_details");
        w.WriteNumber("reasoning_tokens", reasoningTokens);
        w.WriteEndObject();
        w.WriteNumber("total_tokens", result.PromptTokens + result.CompletionTokens);
        w.WriteEndObject();
    }
}
