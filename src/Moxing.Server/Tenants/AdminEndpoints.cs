using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Moxing.Server.Http;
using Moxing.Server.Metering;

namespace Moxing.Server.Tenants;

/// <summary>
/// The admin API: <c>POST/GET /admin/keys</c>, <c>DELETE /admin/keys/{id}</c>, <c>GET /admin/usage</c> and the tenants'
/// limits (<see cref="TenantAdminEndpoints"/>). Every call needs an admin key (<c>moxing keys create --admin</c>) or the server's
/// <c>MOXING_ADMIN_KEY</c>, open mode or not.
/// </summary>
public sealed class AdminEndpoints(ApiKeyStore keys, TenantStore tenants, UsageStore usage, string? adminKey, TimeProvider? clock = null)
{
    private readonly AdminAccess _access = new(keys, adminKey);
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>Maps the admin routes on <paramref name="app"/>.</summary>
    public void Map(WebApplication app)
    {
        app.MapPost("/admin/keys", CreateAsync);
        app.MapGet("/admin/keys", ListAsync);
        // A plain RequestDelegate (route value read by hand) keeps the route free of reflection for the NativeAOT build.
        app.MapDelete("/admin/keys/{id}", (RequestDelegate)(c => RevokeAsync(c, (string)c.Request.RouteValues["id"]!)));
        app.MapGet("/admin/usage", UsageAsync);
        new TenantAdminEndpoints(tenants, _access).Map(app);
    }

    private async Task CreateAsync(HttpContext context)
    {
        _access.Authorize(context);
        var r = await JsonRequest.ReadAsync(context.Request, context.RequestAborted);
        var tenant = r.RequiredString("tenant");
        var limits = new KeyLimits
        {
            RequestsPerMinute = r.Int("rpm", 1),
            TokensPerMinute = r.Int("tpm", 1),
            TokensPerDay = r.Long("tokens_per_day", 1),
            MaxConcurrent = r.Int("max_concurrent", 1),
            MaxContext = r.Int("max_context", 1),
            MaxTokens = r.Int("max_tokens", 1),
            Models = r.StringOrList("models"),
            Priority = r.Int("priority") ?? 0,
            Weight = r.Number("weight", double.Epsilon, 1e6) ?? 1,
        };
        DateTimeOffset? expires = r.String("expires") is { } e ? Date(e, "expires") : null;
        var admin = r.Bool("admin") ?? false;
        r.RejectUnknown();
        CreatedApiKey created;
        try
        {
            created = keys.Create(tenant, limits, expires, admin);
        }
        catch (ArgumentException x)
        {
            throw new ApiException(400, x.Message, code: "invalid_value");
        }
        await JsonStreamWriter.WriteObjectAsync(context, w => ApiKeyJson.Write(w, created.Record, _clock.GetUtcNow(), created.Key), 201);
    }

    private Task ListAsync(HttpContext context)
    {
        _access.Authorize(context);
        var list = keys.List(Query(context, "tenant"));
        var now = _clock.GetUtcNow();
        return JsonStreamWriter.WriteObjectAsync(context, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("data");
            foreach (var k in list) ApiKeyJson.Write(w, k, now);
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private Task RevokeAsync(HttpContext context, string id)
    {
        _access.Authorize(context);
        if (!keys.Revoke(id)) throw new ApiException(404, $"no API key with id '{id}'", "not_found_error", "id", "key_not_found");
        return JsonStreamWriter.WriteObjectAsync(context, w =>
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteBoolean("revoked", true);
            w.WriteEndObject();
        });
    }

    private async Task UsageAsync(HttpContext context)
    {
        _access.Authorize(context);
        var format = Query(context, "format") ?? "json";
        if (format is not ("json" or "csv")) throw ApiException.BadParameter("format", "'format' must be json or csv");
        var rows = usage.Query(new UsageQuery(Query(context, "tenant"), Query(context, "key"), Query(context, "model"),
            Query(context, "since") is { } s ? Date(s, "since") : (DateTimeOffset?)null, Query(context, "until") is { } u ? Date(u, "until") : null));
        if (format == "csv")
        {
            context.Response.ContentType = "text/csv; charset=utf-8";
            var text = new StringWriter(CultureInfo.InvariantCulture);
            UsageStore.WriteCsv(rows, text);
            await context.Response.WriteAsync(text.ToString(), context.RequestAborted);
            return;
        }
        await JsonStreamWriter.WriteObjectAsync(context, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("data");
            foreach (var row in rows) UsageJson.Write(w, row);
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static string? Query(HttpContext context, string name) => context.Request.Query[name].ToString() is { Length: > 0 } v ? v : null;

    private static DateTimeOffset Date(string text, string name) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t : throw ApiException.BadParameter(name, $"'{name}' must be a date such as 2025-01-31 or 2025-01-31T12:00:00Z, got '{text}'");
}
