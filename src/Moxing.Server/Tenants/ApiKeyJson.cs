using System.Text.Json;

namespace Moxing.Server.Tenants;

/// <summary>The JSON shape of a key, shared by <c>moxing keys list --json</c> and <c>GET /admin/keys</c>: never its secret.</summary>
public static class ApiKeyJson
{
    /// <summary>active, revoked or expired at <paramref name="now"/>.</summary>
    public static string Status(ApiKeyRecord k, DateTimeOffset now) => k.Revoked != null ? "revoked" : k.IsActive(now) ? "active" : "expired";

    /// <summary>Writes one key as an object: id, tenant, admin, status, created, expires, revoked, limits.</summary>
    public static void Write(Utf8JsonWriter w, ApiKeyRecord k, DateTimeOffset now, string? secret = null)
    {
        w.WriteStartObject();
        w.WriteString("id", k.Id);
        if (secret != null) w.WriteString("key", secret);
        w.WriteString("tenant", k.Tenant);
        w.WriteBoolean("admin", k.Admin);
        w.WriteString("status", Status(k, now));
        w.WriteString("created", k.Created);
        if (k.Expires is { } x) w.WriteString("expires", x);
        if (k.Revoked is { } r) w.WriteString("revoked", r);
        w.WritePropertyName("limits");
        JsonSerializer.Serialize(w, k.Limits, TenantJsonContext.Default.KeyLimits);
        w.WriteEndObject();
    }
}
