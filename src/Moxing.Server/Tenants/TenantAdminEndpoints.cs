using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Moxing.Server.Http;

namespace Moxing.Server.Tenants;

/// <summary>
/// Tenants' own limits over the admin API: <c>POST /admin/tenants</c> (<c>{"tenant":"acme","rpm":60,"models":["m"],"weight":2}</c>;
/// fields left out stay, <c>null</c> clears one), <c>GET /admin/tenants</c> and <c>DELETE /admin/tenants/{name}</c>.
/// </summary>
public sealed class TenantAdminEndpoints(TenantStore tenants, AdminAccess access)
{
    /// <summary>Maps the routes on <paramref name="app"/>.</summary>
    public void Map(WebApplication app)
    {
        app.MapPost("/admin/tenants", SetAsync);
        app.MapGet("/admin/tenants", ListAsync);
        // A plain RequestDelegate (route value read by hand) keeps the route free of reflection for the NativeAOT build.
        app.MapDelete("/admin/tenants/{name}", (RequestDelegate)(c => RemoveAsync(c, (string)c.Request.RouteValues["name"]!)));
    }

    private async Task SetAsync(HttpContext context)
    {
        access.Authorize(context);
        var r = await JsonRequest.ReadAsync(context.Request, context.RequestAborted);
        var name = r.RequiredString("tenant");
        var changes = new List<Func<TenantLimits, TenantLimits>>();
        foreach (var field in TenantLimits.NumberFields.Where(r.Body.ContainsKey))
        {
            var value = r.Number(field);
            changes.Add(l => l.With(field, value));
        }
        if (r.Body.ContainsKey(TenantLimits.ModelsField))
        {
            var models = r.StringOrList(TenantLimits.ModelsField);
            changes.Add(l => l with { Models = models });
        }
        r.RejectUnknown();
        TenantRecord record;
        try
        {
            record = tenants.Set(name, current => changes.Aggregate(current, (l, change) => change(l)));
        }
        catch (ArgumentException x)
        {
            throw new ApiException(400, x.Message, code: "invalid_value");
        }
        await JsonStreamWriter.WriteObjectAsync(context, w => TenantJson.Write(w, record.Name, record));
    }

    private Task ListAsync(HttpContext context)
    {
        access.Authorize(context);
        var list = tenants.List();
        return JsonStreamWriter.WriteObjectAsync(context, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("data");
            foreach (var (name, record, keys) in list) TenantJson.Write(w, name, record, keys);
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private Task RemoveAsync(HttpContext context, string name)
    {
        access.Authorize(context);
        if (!tenants.Remove(name)) throw new ApiException(404, $"the tenant '{name}' has no limits of its own", "not_found_error", "name", "tenant_not_found");
        return JsonStreamWriter.WriteObjectAsync(context, w =>
        {
            w.WriteStartObject();
            w.WriteString("tenant", name);
            w.WriteBoolean("removed", true);
            w.WriteEndObject();
        });
    }
}
