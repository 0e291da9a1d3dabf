using Microsoft.Data.Sqlite;
using Moxing.Server.Data;
using Moxing.Server.Tenants;

namespace Moxing.Server.Tests.Tenants;

public sealed class ApiKeyStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-keys-").FullName;
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
    private readonly MoxingDatabase _db;
    private readonly ApiKeyStore _store;

    public ApiKeyStoreTests()
    {
        _db = MoxingDatabase.OpenIn(_dir);
        _store = new ApiKeyStore(_db, _clock);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void ACreatedKeyChecksAsValidAndCarriesItsLimits()
    {
        var limits = new KeyLimits { RequestsPerMinute = 60, Models = ["qwen"], Priority = 2 };
        var created = _store.Create("team-a", limits);
        var (check, key) = _store.Check(created.Key);
        Assert.Equal(KeyCheck.Valid, check);
        Assert.Equal("team-a", key!.Tenant);
        Assert.Equal(60, key.Limits.RequestsPerMinute);
        Assert.True(key.Limits.AllowsModel("qwen"));
        Assert.False(key.Limits.AllowsModel("llama"));
        Assert.Equal(2, key.Limits.Priority);
        Assert.True(_store.Any());
    }

    [Fact]
    public void KeysAreRandomLongAndStoredOnlyAsSaltedHashes()
    {
        var a = _store.Create("t", new KeyLimits()).Key;
        var b = _store.Create("t", new KeyLimits()).Key;
        Assert.NotEqual(a, b);
        Assert.True(ApiKeyFormat.TryParse(a, out _, out var secret));
        Assert.Equal(32, secret.Length);
        var secretText = a[(a.LastIndexOf('-') + 1)..];
        var bytes = File.ReadAllBytes(_db.Address.FilePath!).Concat(File.Exists(_db.Address.FilePath! + "-wal") ? File.ReadAllBytes(_db.Address.FilePath! + "-wal") : []).ToArray();
        Assert.DoesNotContain(secretText, System.Text.Encoding.Latin1.GetString(bytes));
    }

    [Theory]
    [InlineData(null, KeyCheck.Missing)]
    [InlineData("", KeyCheck.Missing)]
    [InlineData("sk-not-ours", KeyCheck.Invalid)]
    [InlineData("mx-aaaaaaaaaaaa-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", KeyCheck.Invalid)]
    public void MissingMalformedAndUnknownKeysAreRefused(string? presented, KeyCheck expected) =>
        Assert.Equal(expected, _store.Check(presented).Check);

    [Fact]
    public void AKeyWithAnAlteredSecretIsInvalid()
    {
        var key = _store.Create("t", new KeyLimits()).Key;
        var last = key[^2] == 'A' ? 'B' : 'A';
        Assert.Equal(KeyCheck.Invalid, _store.Check(key[..^2] + last + key[^1]).Check);
    }

    [Fact]
    public void RevokedAndExpiredKeysAreRefusedWithTheirReason()
    {
        var revoked = _store.Create("t", new KeyLimits());
        Assert.True(_store.Revoke(revoked.Record.Id));
        Assert.Equal(KeyCheck.Revoked, _store.Check(revoked.Key).Check);
        Assert.False(_store.Revoke("nonexistent1"));

        var expiring = _store.Create("t", new KeyLimits(), expires: _clock.GetUtcNow().AddHours(1));
        Assert.Equal(KeyCheck.Valid, _store.Check(expiring.Key).Check);
        _clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(KeyCheck.Expired, _store.Check(expiring.Key).Check);
        Assert.Contains(_store.List("t"), k => k.Id == expiring.Record.Id && !k.IsActive(_clock.GetUtcNow()));
    }

    [Fact]
    public void BadLimitsAndPastExpiriesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => _store.Create("t", new KeyLimits { RequestsPerMinute = 0 }));
        Assert.Throws<ArgumentException>(() => _store.Create("t", new KeyLimits { Models = [] }));
        Assert.Throws<ArgumentException>(() => _store.Create("", new KeyLimits()));
        Assert.Throws<ArgumentException>(() => _store.Create("t", new KeyLimits(), expires: _clock.GetUtcNow().AddMinutes(-1)));
        Assert.False(_store.Any());
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
