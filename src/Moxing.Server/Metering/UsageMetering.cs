using Microsoft.AspNetCore.Http;
using Moxing.Server.Http;
using Moxing.Server.Tenants;

namespace Moxing.Server.Metering;

/// <summary>
/// Middleware on every generation and embedding endpoint: admits the request under its key's limits (429 before any model
/// work), lets the endpoint meter it, and writes its usage row if the endpoint did not (errors, cancellations).
/// </summary>
public sealed class UsageMetering(UsageStore store, TenantLimiter limiter)
{
    /// <summary>The endpoints metered.</summary>
    public static readonly IReadOnlySet<string> Endpoints = new HashSet<string>(StringComparer.Ordinal)
    {
        "/v1/chat/completions", "/v1/completions", "/v1/responses", "/v1/embeddings", "/api/chat", "/api/generate", "/api/embed", "/api/embeddings",
    };

    /// <summary>Meters the request when it is a metered endpoint, then runs the rest of the pipeline.</summary>
    public async Task HandleAsync(HttpContext context, RequestDelegate next)
    {
        if (!HttpMethods.IsPost(context.Request.Method) || !Endpoints.Contains(context.Request.Path.Value ?? ""))
        {
            await next(context);
            return;
        }
        var key = KeyAuthentication.KeyOf(context);
        var admission = key is null ? null : Admit(key, context);
        var meter = new MeteredRequest(store, context.Request.Path.Value!, RequestId(context), admission);
        context.Items[typeof(MeteredRequest)] = meter;
        try
        {
            await next(context);
            meter.Commit(context.RequestAborted.IsCancellationRequested ? MeteredRequest.ClientClosedStatus : context.Response.StatusCode);
        }
        catch (Exception e)
        {
            if (context.RequestAborted.IsCancellationRequested) meter.Commit(MeteredRequest.ClientClosedStatus);
            else
            {
                var error = ApiError.From(e);
                meter.Fail(error);
                meter.Commit(context.Response.HasStarted ? context.Response.StatusCode : error.Status);
            }
            throw;
        }
        finally
        {
            admission?.Dispose();
        }
    }

    /// <summary>
    /// Runs before authentication: a metered request refused there (401 for a revoked or expired key, 403 for a model the key may
    /// not use) gets its usage row too. A request without a key the server knows is not stored (anyone could fill the table); the
    /// request counters of /metrics count it.
    /// </summary>
    public async Task MeterRefusalsAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (ApiException refused) when (MeteredRequest.Of(context) is null && KeyAuthentication.RefusedKeyOf(context) is { } key
            && HttpMethods.IsPost(context.Request.Method) && Endpoints.Contains(context.Request.Path.Value ?? ""))
        {
            Record(context, key, refused);
            throw;
        }
    }

    // A refused request is metered too (status 429 and the limit), so a tenant sees what was turned away.
    private KeyAdmission Admit(ApiKeyRecord key, HttpContext context)
    {
        try
        {
            return limiter.Admit(key);
        }
        catch (ApiException refused)
        {
            Record(context, key, refused);
            throw;
        }
    }

    private void Record(HttpContext context, ApiKeyRecord key, ApiException refused) => store.Record(new UsageRecord
    {
        Time = DateTimeOffset.UtcNow,
        RequestId = RequestId(context),
        Tenant = key.Tenant,
        KeyId = key.Id,
        Model = "",
        Endpoint = context.Request.Path.Value!,
        Status = refused.Status,
        Outcome = refused.Code ?? refused.Type,
    });

    // The request observer has already validated the client's X-Request-Id (or made one) into TraceIdentifier.
    private static string RequestId(HttpContext context) => context.TraceIdentifier;
}
