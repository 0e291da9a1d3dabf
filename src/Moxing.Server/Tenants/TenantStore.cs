using System.Data.Common;
using System.Text.Json;
using Moxing.Core;
using Moxing.Server.Data;

namespace Moxing.Server.Tenants;

/// <summary>Sets, lists and removes tenants' own limits in the Moxing database.</summary>
public sealed class TenantStore(MoxingDatabase db, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="tenant"/> is a tenant name (1 to 128 characters, not blank).</summary>
    public static void ValidateName(string tenant)
    {
        if (string.IsNullOrWhiteSpace(tenant) || tenant.Length > 128)
            throw new ArgumentException("a tenant name of 1 to 128 characters is required");
    }

    /// <summary>
    /// Changes <paramref name="tenant"/>'s limits to what <paramref name="change"/> makes of the current ones (empty limits for a
    /// tenant without a row) in one transaction, and returns the stored record.
    /// </summary>
    public TenantRecord Set(string tenant, Func<TenantLimits, TenantLimits> change)
    {
        ValidateName(tenant);
        return db.InTransaction(tx =>
        {
            TenantLimits current;
            using (var read = db.Command(tx, "SELECT limits FROM tenants WHERE name = @name", ("@name", tenant)))
                current = read.ExecuteScalar() is string json ? Parse(tenant, json) : new TenantLimits();
            var limits = change(current);
            limits.Validate();
            var now = StoredTime.Truncate(_clock.GetUtcNow());
            using var write = db.Command(tx,
                "INSERT INTO tenants (name, limits, updated) VALUES (@name, @limits, @updated) ON CONFLICT (name) DO UPDATE SET limits = excluded.limits, updated = excluded.updated",
                ("@name", tenant), ("@limits", JsonSerializer.Serialize(limits, TenantJsonContext.Default.TenantLimits)), ("@updated", now));
            write.ExecuteNonQuery();
            return new TenantRecord(tenant, limits, now);
        });
    }

    /// <summary>The tenant's record; null when it has no limits of its own.</summary>
    public TenantRecord? Get(string tenant) =>
        db.Query("SELECT name, limits, updated FROM tenants WHERE name = @name", Read, ("@name", tenant)).SingleOrDefault();

    /// <summary>
    /// Every tenant that has limits of its own or any key, by name, with its record (null: none of its own) and how many of its
    /// keys work now (neither revoked nor expired).
    /// </summary>
    public IReadOnlyList<(string Name, TenantRecord? Record, int ActiveKeys)> List()
    {
        var records = db.Query("SELECT name, limits, updated FROM tenants", Read).ToDictionary(r => r.Name, StringComparer.Ordinal);
        var keys = db.Query("SELECT tenant, COUNT(*) FROM api_keys WHERE revoked IS NULL AND (expires IS NULL OR expires > @now) GROUP BY tenant",
            r => (Tenant: r.GetString(0), Count: (int)r.GetInt64(1)), ("@now", _clock.GetUtcNow())).ToDictionary(k => k.Tenant, k => k.Count, StringComparer.Ordinal);
        return records.Keys.Union(keys.Keys).Order(StringComparer.Ordinal)
            .Select(name => (name, records.GetValueOrDefault(name), keys.GetValueOrDefault(name))).ToList();
    }

    /// <summary>Removes the tenant's own limits (its keys keep theirs); false when it had none.</summary>
    public bool Remove(string tenant) => db.Execute("DELETE FROM tenants WHERE name = @name", ("@name", tenant)) > 0;

    /// <summary>Reads stored limits JSON of <paramref name="tenant"/>.</summary>
    internal static TenantLimits Parse(string tenant, string json) =>
        JsonSerializer.Deserialize(json, TenantJsonContext.Default.TenantLimits) ?? throw new MoxingException($"tenant '{tenant}': its stored limits are empty");

    private TenantRecord Read(DbDataReader r) => new(r.GetString(0), Parse(r.GetString(0), r.GetString(1)), db.ReadTime(r, 2));
}
