using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Moxing.Core;
using Moxing.Inference.Scheduling;
using Moxing.Inference.Sessions;

namespace Moxing.Server.Http;

/// <summary>Turns exceptions into HTTP errors: OpenAI's <c>{"error":{message,type,param,code}}</c>, or Ollama's <c>{"error":"…"}</c> under /api.</summary>
public static class ApiError
{
    /// <summary>The <see cref="ApiException"/> an exception stands for (user errors 4xx, anything else 500).</summary>
    public static ApiException From(Exception e) => e switch
    {
        ApiException api => api,
        QueueFullException full => new ApiException(429, full.Message, "rate_limit_error", code: "server_busy", inner: e) { RetryAfter = full.RetryAfter },
        RequestTimeoutException timeout => new ApiException(504, timeout.Message, "timeout_error", code: "request_timeout", inner: e),
        BadHttpRequestException { StatusCode: 413 } large => new ApiException(413, $"{large.Message} (the server's --max-body)", code: "request_too_large", inner: e),
        BadHttpRequestException bad => new ApiException(bad.StatusCode, bad.Message, inner: e),
        ContextOverflowException overflow => new ApiException(400, overflow.Message, code: "context_length_exceeded", inner: e),
        Data.DatabaseException db => new ApiException(503, db.Message, "server_error", code: "database_unavailable", inner: e),
        Store.Hub.HubException { Status: System.Net.HttpStatusCode.NotFound } missing =>
            new ApiException(404, missing.Message, "not_found_error", code: "model_not_found", inner: e),
        MoxingException user => new ApiException(400, user.Message, inner: e),
        _ => new ApiException(500, $"internal error: {e.Message}", "server_error", inner: e),
    };

    /// <summary>True for requests of the Ollama API, whose errors are a plain string.</summary>
    public static bool IsOllama(HttpRequest request) => request.Path.StartsWithSegments("/api");

    /// <summary>Writes the error object (no status line) for the request's API family.</summary>
    public static void Write(Utf8JsonWriter w, ApiException e, bool ollama)
    {
        w.WriteStartObject();
        if (ollama) w.WriteString("error", e.Message);
        else
        {
            w.WriteStartObject("error");
            w.WriteString("message", e.Message);
            w.WriteString("type", e.Type);
            WriteNullable(w, "param", e.Param);
            WriteNullable(w, "code", e.Code);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name);
        else w.WriteString(name, value);
    }

    /// <summary>Middleware: runs the pipeline and answers any exception a request raised before its response started.</summary>
    public static async Task Handle(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is no one to answer.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            await WriteResponseAsync(context, From(e));
        }
    }

    /// <summary>Writes <paramref name="error"/> as the whole response.</summary>
    public static async Task WriteResponseAsync(HttpContext context, ApiException error)
    {
        if (error.Status >= 500)
            context.RequestServices.GetRequiredService<ILogger<ApiException>>().LogError(error.InnerException ?? error, "{Path} failed", context.Request.Path.Value);
        context.Response.StatusCode = error.Status;
        if (error.RetryAfter is { } retry) context.Response.Headers.RetryAfter = ((long)Math.Ceiling(retry.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.ContentType = "application/json";
        await using (var w = new Utf8JsonWriter(context.Response.BodyWriter, JsonStreamWriter.Options))
            Write(w, error, IsOllama(context.Request));
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }
}
