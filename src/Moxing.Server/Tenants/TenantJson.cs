using System.Text.Json;

namespace Moxing.Server.Tenants;

/// <summary>The JSON shape of a tenant, shared by <c>moxing tenants list --json</c> and <c>GET /admin/tenants</c>.</summary>
public static class TenantJson
{
    /// <summary>Writes one tenant as an object: tenant, limits (empty when it has none), updated (when it has), active_keys (when known).</summary>
    public static void Write(Utf8JsonWriter w, string name, TenantRecord? record, int? activeKeys = null)
    {
        w.WriteStartObject();
        w.WriteString("tenant", name);
        w.WritePropertyName("limits");
        JsonSerializer.Serialize(w, record?.Limits ?? new TenantLimits(), TenantJsonContext.Default.TenantLimits);
        if (record is not null) w.WriteString("updated", record.Updated);
        if (activeKeys is { } n) w.WriteNumber("active_keys", n);
        w.WriteEndObject();
    }
}
