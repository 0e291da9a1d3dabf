using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Moxing.Core;
using Moxing.Server.Data;

namespace Moxing.Server.Tenants;

/// <summary>Creates, lists, revokes and checks API keys in the Moxing database.</summary>
public sealed class ApiKeyStore(MoxingDatabase db, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>Makes a key for <paramref name="tenant"/>; the returned key text is the only copy of its secret.</summary>
    public CreatedApiKey Create(string tenant, KeyLimits limits, DateTimeOffset? expires = null, bool admin = false)
    {
        if (string.IsNullOrWhiteSpace(tenant) || tenant.Length > 128)
            throw new ArgumentException("a tenant name of 1 to 128 characters is required");
        limits.Validate();
        var now = _clock.GetUtcNow();
        if (expires is { } e && e <= now) throw new ArgumentException($"the expiry {e:O} is in the past");
        var (id, secret, key) = ApiKeyFormat.NewKey();
        var salt = RandomNumberGenerator.GetBytes(16);
        using var c = db.Connect();
        MoxingDatabase.Execute(c,
            "INSERT INTO api_keys (id, tenant, salt, hash, limits, admin, created, expires) VALUES ($id, $tenant, $salt, $hash, $limits, $admin, $created, $expires)",
            ("$id", id), ("$tenant", tenant), ("$salt", salt), ("$hash", ApiKeyFormat.Hash(salt, secret)),
            ("$limits", JsonSerializer.Serialize(limits, TenantJsonContext.Default.KeyLimits)), ("$admin", admin ? 1 : 0),
            ("$created", MoxingDatabase.TimeText(now)), ("$expires", expires is { } x ? MoxingDatabase.TimeText(x) : null));
        return new CreatedApiKey(new ApiKeyRecord(id, tenant, limits, admin, now, expires, null), key);
    }

    /// <summary>Every key, newest first, optionally of one tenant.</summary>
    public IReadOnlyList<ApiKeyRecord> List(string? tenant = null)
    {
        using var c = db.Connect();
        using var command = MoxingDatabase.Command(c,
            "SELECT id, tenant, limits, admin, created, expires, revoked FROM api_keys WHERE $tenant IS NULL OR tenant = $tenant ORDER BY created DESC, id",
            ("$tenant", tenant));
        using var reader = command.ExecuteReader();
        var keys = new List<ApiKeyRecord>();
        while (reader.Read()) keys.Add(Read(reader, 0));
        return keys;
    }

    /// <summary>True when any key exists (then authentication is required on every endpoint but /health).</summary>
    public bool Any()
    {
        using var c = db.Connect();
        using var command = MoxingDatabase.Command(c, "SELECT EXISTS (SELECT 1 FROM api_keys)");
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) != 0;
    }

    /// <summary>Revokes the key with public id <paramref name="id"/> (or a full key); false when no such key exists.</summary>
    public bool Revoke(string id)
    {
        if (ApiKeyFormat.TryParse(id, out var parsed, out _)) id = parsed;
        using var c = db.Connect();
        return MoxingDatabase.Execute(c, "UPDATE api_keys SET revoked = COALESCE(revoked, $now) WHERE id = $id",
            ("$now", MoxingDatabase.TimeText(_clock.GetUtcNow())), ("$id", id)) > 0;
    }

    /// <summary>Checks a presented key; the record is returned for every result but Missing and Invalid.</summary>
    public (KeyCheck Check, ApiKeyRecord? Key) Check(string? presented)
    {
        if (string.IsNullOrEmpty(presented)) return (KeyCheck.Missing, null);
        if (!ApiKeyFormat.TryParse(presented, out var id, out var secret)) return (KeyCheck.Invalid, null);
        using var c = db.Connect();
        using var command = MoxingDatabase.Command(c,
            "SELECT salt, hash, id, tenant, limits, admin, created, expires, revoked FROM api_keys WHERE id = $id", ("$id", id));
        using var reader = command.ExecuteReader();
        if (!reader.Read()) return (KeyCheck.Invalid, null);
        var salt = (byte[])reader[0];
        var hash = (byte[])reader[1];
        if (!CryptographicOperations.FixedTimeEquals(hash, ApiKeyFormat.Hash(salt, secret))) return (KeyCheck.Invalid, null);
        var key = Read(reader, 2);
        var now = _clock.GetUtcNow();
        if (key.Revoked != null) return (KeyCheck.Revoked, key);
        if (key.Expires is { } expires && now >= expires) return (KeyCheck.Expired, key);
        return (KeyCheck.Valid, key);
    }

    private static ApiKeyRecord Read(SqliteDataReader r, int i) => new(
        r.GetString(i), r.GetString(i + 1),
        JsonSerializer.Deserialize(r.GetString(i + 2), TenantJsonContext.Default.KeyLimits)
            ?? throw new MoxingException($"api key {r.GetString(i)}: its stored limits are empty"),
        r.GetInt64(i + 3) != 0, MoxingDatabase.ParseTime(r.GetString(i + 4)),
        r.IsDBNull(i + 5) ? null : MoxingDatabase.ParseTime(r.GetString(i + 5)), r.IsDBNull(i + 6) ? null : MoxingDatabase.ParseTime(r.GetString(i + 6)));

}
