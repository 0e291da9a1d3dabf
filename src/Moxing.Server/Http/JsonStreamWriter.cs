using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Moxing.Server.Metering;

namespace Moxing.Server.Http;

/// <summary>
/// Writes JSON objects to a response one at a time, flushed as they are written: server-sent events (<c>data: {…}</c>, OpenAI,
/// optionally named by an <c>event:</c> line) or newline-delimited JSON (Ollama). Headers go out with the first object, so errors before it still get a status code.
/// </summary>
public sealed class JsonStreamWriter
{
    private static readonly byte[] SsePrefix = "data: "u8.ToArray();
    private static readonly byte[] SseEvent = "event: "u8.ToArray();
    private static readonly byte[] SseSuffix = "\n\n"u8.ToArray();
    private static readonly byte[] LineSuffix = "\n"u8.ToArray();
    /// <summary>Writer options of every response: text as UTF-8, not \u escapes (still valid JSON, far smaller for non-Latin text).</summary>
    public static readonly JsonWriterOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly HttpResponse _response;
    private readonly bool _sse;
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _json;

    private JsonStreamWriter(HttpResponse response, bool sse)
    {
        _response = response;
        _sse = sse;
        _json = new Utf8JsonWriter(_buffer, Options);
    }

    /// <summary>A server-sent-events stream.</summary>
    public static JsonStreamWriter ServerSentEvents(HttpResponse response) => new(response, sse: true);

    /// <summary>A newline-delimited JSON stream.</summary>
    public static JsonStreamWriter JsonLines(HttpResponse response) => new(response, sse: false);

    /// <summary>Writes one object and flushes it to the client; <paramref name="eventName"/> names a server-sent event (OpenAI's Responses API).</summary>
    public async ValueTask WriteAsync(Action<Utf8JsonWriter> write, CancellationToken cancellation, string? eventName = null)
    {
        Start();
        _buffer.ResetWrittenCount();
        _json.Reset(_buffer);
        write(_json);
        _json.Flush();
        var body = _response.BodyWriter;
        if (_sse && eventName is not null)
        {
            body.Write(SseEvent);
            body.Write(System.Text.Encoding.UTF8.GetBytes(eventName));
            body.Write(LineSuffix);
        }
        if (_sse) body.Write(SsePrefix);
        body.Write(_buffer.WrittenSpan);
        body.Write(_sse ? SseSuffix : LineSuffix);
        await body.FlushAsync(cancellation);
    }

    /// <summary>Writes a stream's last object, after the request's usage row is written (so a 200 the client saw is never unmetered).</summary>
    public ValueTask WriteLastAsync(Action<Utf8JsonWriter> write, CancellationToken cancellation, string? eventName = null)
    {
        Start();
        MeteredRequest.Of(_response.HttpContext)?.Commit(_response.StatusCode);
        return WriteAsync(write, cancellation, eventName);
    }

    /// <summary>Writes OpenAI's end-of-stream marker, <c>data: [DONE]</c>.</summary>
    public async ValueTask DoneAsync(CancellationToken cancellation)
    {
        Start();
        MeteredRequest.Of(_response.HttpContext)?.Commit(_response.StatusCode);
        _response.BodyWriter.Write("data: [DONE]\n\n"u8);
        await _response.BodyWriter.FlushAsync(cancellation);
    }

    private void Start()
    {
        if (_response.HasStarted) return;
        _response.StatusCode = 200;
        _response.ContentType = _sse ? "text/event-stream; charset=utf-8" : "application/x-ndjson";
        _response.Headers.CacheControl = "no-cache";
        // Proxies such as nginx would otherwise hold tokens back.
        _response.Headers["X-Accel-Buffering"] = "no";
        _response.HttpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    }

    /// <summary>Writes one complete JSON response (not streamed), after the request's usage row when it is metered.</summary>
    public static async Task WriteObjectAsync(HttpContext context, Action<Utf8JsonWriter> write, int status = 200)
    {
        MeteredRequest.Of(context)?.Commit(status);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await using (var w = new Utf8JsonWriter(context.Response.BodyWriter, Options)) write(w);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }
}
