using System.Data.Common;
using System.Security.Cryptography;
using System.Text.Json;
using Moxing.Core;
using Moxing.Server.Data;

namespace Moxing.Server.Tenants;

/// <summary>Creates, lists, revokes and checks API keys in the Moxing database.</summary>
public sealed class ApiKeyStore(MoxingDatabase db, TimeProvider? clock = null)
{
    private const string RecordColumns = "k.id, k.tenant, k.limits, k.admin, k.created, k.expires, k.revoked";

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>Makes a key for <paramref name="tenant"/>; the returned key text is the only copy of its secret.</summary>
    public CreatedApiKey Create(string tenant, KeyLimits limits, DateTimeOffset? expires = null, bool admin = false)
    {
        TenantStore.ValidateName(tenant);
        limits.Validate();
        var now = StoredTime.Truncate(_clock.GetUtcNow());
        if (expires is { } e && e <= now) throw new ArgumentException($"the expiry {e:O} is in the past");
        expires = expires is { } x ? StoredTime.Truncate(x) : null;
        var (id, secret, key) = ApiKeyFormat.NewKey();
        var salt = RandomNumberGenerator.GetBytes(16);
        db.Execute(
            "INSERT INTO api_keys (id, tenant, salt, hash, limits, admin, created, expires) VALUES (@id, @tenant, @salt, @hash, @limits, @admin, @created, @expires)",
            ("@id", id), ("@tenant", tenant), ("@salt", salt), ("@hash", ApiKeyFormat.Hash(salt, secret)),
            ("@limits", JsonSerializer.Serialize(limits, TenantJsonContext.Default.KeyLimits)), ("@admin", admin ? 1 : 0),
            ("@created", now), ("@expires", expires));
        return new CreatedApiKey(new ApiKeyRecord(id, tenant, limits, admin, now, expires, null), key);
    }

    /// <summary>Every key, newest first, optionally of one tenant.</summary>
    public IReadOnlyList<ApiKeyRecord> List(string? tenant = null)
    {
        var (where, parameters) = SqlFilter.Where(("k.tenant = @tenant", "@tenant", tenant));
        return db.Query($"SELECT {RecordColumns} FROM api_keys k{where} ORDER BY k.created DESC, k.id", r => Read(r, 0), parameters);
    }

    /// <summary>True when any key exists (then authentication is required on every endpoint but /health).</summary>
    public bool Any() => db.ScalarInt64("SELECT COUNT(*) FROM (SELECT 1 FROM api_keys LIMIT 1) AS one") != 0;

    /// <summary>Revokes the key with public id <paramref name="id"/> (or a full key); false when no such key exists.</summary>
    public bool Revoke(string id)
    {
        if (ApiKeyFormat.TryParse(id, out var parsed, out _)) id = parsed;
        return db.Execute("UPDATE api_keys SET revoked = COALESCE(revoked, @now) WHERE id = @id", ("@now", _clock.GetUtcNow()), ("@id", id)) > 0;
    }

    /// <summary>Checks a presented key; the record is returned for every result but Missing and Invalid.</summary>
    public (KeyCheck Check, ApiKeyRecord? Key) Check(string? presented)
    {
        if (string.IsNullOrEmpty(presented)) return (KeyCheck.Missing, null);
        if (!ApiKeyFormat.TryParse(presented, out var id, out var secret)) return (KeyCheck.Invalid, null);
        // The tenant's own limits come with the key, so a change to them applies to the next request.
        var found = db.Query($"SELECT k.salt, k.hash, t.limits, {RecordColumns} FROM api_keys k LEFT JOIN tenants t ON t.name = k.tenant WHERE k.id = @id",
            r => (Salt: (byte[])r[0], Hash: (byte[])r[1], Key: Read(r, 3) with { TenantLimits = r.IsDBNull(2) ? null : TenantStore.Parse(r.GetString(4), r.GetString(2)) }),
            ("@id", id));
        if (found.Count == 0) return (KeyCheck.Invalid, null);
        var (salt, hash, key) = found[0];
        if (!CryptographicOperations.FixedTimeEquals(hash, ApiKeyFormat.Hash(salt, secret))) return (KeyCheck.Invalid, null);
        if (key.Revoked != null) return (KeyCheck.Revoked, key);
        if (key.Expires is { } expires && _clock.GetUtcNow() >= expires) return (KeyCheck.Expired, key);
        return (KeyCheck.Valid, key);
    }

    private ApiKeyRecord Read(DbDataReader r, int i) => new(
        r.GetString(i), r.GetString(i + 1),
        JsonSerializer.Deserialize(r.GetString(i + 2), TenantJsonContext.Default.KeyLimits)
            ?? throw new MoxingException($"api key {r.GetString(i)}: its stored limits are empty"),
        r.GetInt32(i + 3) != 0, db.ReadTime(r, i + 4), db.ReadNullableTime(r, i + 5), db.ReadNullableTime(r, i + 6));
}
