using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Moxing.Server.Http;
using Moxing.Server.Tenants;

namespace Moxing.Server.Observability;

/// <summary>
/// The outermost middleware: gives each request its id (X-Request-Id, echoed on every response), its span, its logging
/// scope and its deadline; at the end it logs one line and counts it.
/// </summary>
public sealed class RequestObserver(ServerMetrics metrics, ILogger<RequestObserver> log, TimeSpan? requestTimeout)
{
    /// <summary>Middleware entry.</summary>
    public async Task HandleAsync(HttpContext context, RequestDelegate next)
    {
        var started = Stopwatch.GetTimestamp();
        var request = context.Request;
        var id = RequestId.From(request.Headers[RequestId.Header].Count == 1 ? request.Headers[RequestId.Header][0] : null);
        context.Response.Headers[RequestId.Header] = id;
        context.TraceIdentifier = id;
        // A caller's W3C traceparent makes this span part of its trace.
        ActivityContext.TryParse(request.Headers.TraceParent, request.Headers.TraceState, isRemote: true, out var caller);
        using var activity = MoxingTracing.Source.StartActivity($"{request.Method} {request.Path.Value}", ActivityKind.Server, caller);
        activity?.SetTag("http.request.method", request.Method);
        activity?.SetTag("url.path", request.Path.Value);
        activity?.SetTag("moxing.request_id", id);
        var telemetry = new RequestTelemetry(id, metrics, activity, started);
        RequestTelemetry.Current = telemetry;
        context.Features.Set(telemetry);

        var clientAborted = context.RequestAborted;
        using var deadline = requestTimeout is { } timeout ? CancellationTokenSource.CreateLinkedTokenSource(clientAborted) : null;
        if (deadline != null)
        {
            deadline.CancelAfter(requestTimeout!.Value);
            context.RequestAborted = deadline.Token;
        }
        using var scope = log.BeginScope(new RequestScope(id));
        Exception? failure = null;
        try
        {
            await next(context);
        }
        catch (Exception e)
        {
            failure = e;
            throw;
        }
        finally
        {
            var timedOut = deadline is { IsCancellationRequested: true } && !clientAborted.IsCancellationRequested;
            if (timedOut && failure is null or OperationCanceledException) await AnswerTimeoutAsync(context, clientAborted);
            // 499: the client closed the connection first (nginx's code); 500: an exception escaped every handler.
            var status = clientAborted.IsCancellationRequested ? 499 : failure is not null and not OperationCanceledException ? 500 : context.Response.StatusCode;
            Finish(context, telemetry, activity, status, Stopwatch.GetElapsedTime(started));
            RequestTelemetry.Current = null;
        }
    }

    private void Finish(HttpContext context, RequestTelemetry telemetry, Activity? activity, int status, TimeSpan elapsed)
    {
        var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "other";
        var method = context.Request.Method;
        metrics.HttpRequests.Add(1, route, method, status.ToString(CultureInfo.InvariantCulture));
        var tenant = KeyAuthentication.KeyOf(context)?.Tenant;
        if (activity != null)
        {
            activity.DisplayName = $"{method} {route}";
            activity.SetTag("http.route", route);
            activity.SetTag("http.response.status_code", status);
            if (tenant != null) activity.SetTag("moxing.tenant", tenant);
            if (telemetry.Model != null)
            {
                activity.SetTag("gen_ai.usage.input_tokens", telemetry.PromptTokens);
                activity.SetTag("gen_ai.usage.output_tokens", telemetry.CompletionTokens);
            }
            if (telemetry.FinishReason != null) activity.SetTag("gen_ai.response.finish_reasons", telemetry.FinishReason);
            if (status >= 500) activity.SetStatus(ActivityStatusCode.Error);
        }
        log.LogInformation("{Method} {Path} {Status} {DurationMs} ms model={Model} tenant={Tenant} prompt_tokens={PromptTokens} completion_tokens={CompletionTokens}",
            method, context.Request.Path.Value, status, Math.Round(elapsed.TotalMilliseconds, 1), telemetry.Model, tenant,
            telemetry.PromptTokens, telemetry.CompletionTokens);
    }

    // The deadline passed: a 504 when nothing was sent yet, else an error event in the stream's own framing.
    private async Task AnswerTimeoutAsync(HttpContext context, CancellationToken clientAborted)
    {
        var error = new ApiException(504, $"the request took longer than the server's limit of {requestTimeout!.Value.TotalSeconds:0.###} s (--request-timeout)",
            "timeout_error", code: "request_timeout");
        context.RequestAborted = clientAborted;
        try
        {
            if (!context.Response.HasStarted)
            {
                await ApiError.WriteResponseAsync(context, error);
                return;
            }
            var contentType = context.Response.ContentType ?? "";
            var sse = contentType.StartsWith("text/event-stream", StringComparison.Ordinal);
            if (!sse && !contentType.StartsWith("application/x-ndjson", StringComparison.Ordinal)) return;
            var body = context.Response.BodyWriter;
            if (sse) body.Write("data: "u8);
            await using (var w = new Utf8JsonWriter(body, JsonStreamWriter.Options)) ApiError.Write(w, error, ApiError.IsOllama(context.Request));
            body.Write(sse ? "\n\ndata: [DONE]\n\n"u8 : "\n"u8);
            await body.FlushAsync(clientAborted);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client left while we answered.
        }
    }
}
