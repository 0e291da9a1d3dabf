using Moxing.Server.Tenants;
using Moxing.Server.Tests.Data;

namespace Moxing.Server.Tests.Tenants;

/// Runs on every backend of <see cref="TestDatabase.Backends"/>: one fresh database per test.
public sealed class ApiKeyStoreTests
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));

    private ApiKeyStore Store(TestDatabase db) => new(db.Open(), _clock);

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public void ACreatedKeyChecksAsValidAndCarriesItsLimits(string backend)
    {
        using var db = new TestDatabase(backend);
        var store = Store(db);
        var limits = new KeyLimits { RequestsPerMinute = 60, Models = ["qwen"], Priority = 2 };
        var created = store.Create("team-a", limits);
        var (check, key) = store.Check(created.Key);
        Assert.Equal(KeyCheck.Valid, check);
        Assert.Equal("team-a", key!.Tenant);
        Assert.Equal(60, key.Limits.RequestsPerMinute);
        Assert.True(key.Limits.AllowsModel("qwen"));
        Assert.False(key.Limits.AllowsModel("llama"));
        Assert.Equal(2, key.Limits.Priority);
        Assert.True(store.Any());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public void KeysAreRandomLongAndStoredOnlyAsSaltedHashes(string backend)
    {
        using var db = new TestDatabase(backend);
        var open = db.Open();
        var store = new ApiKeyStore(open, _clock);
        var a = store.Create("t", new KeyLimits()).Key;
        var b = store.Create("t", new KeyLimits()).Key;
        Assert.NotEqual(a, b);
        Assert.True(ApiKeyFormat.TryParse(a, out _, out var secret));
        Assert.Equal(32, secret.Length);
        // mx-ID-SECRET: the secret is base64url, which may itself hold '-', so it starts after the id's dash
        var secretText = a[(a.IndexOf('-', "mx-".Length) + 1)..];
        // Every stored cell, as text and as the hex of its bytes, must not hold the secret.
        var cells = open.Query("SELECT * FROM api_keys", r => Enumerable.Range(0, r.FieldCount)
            .Select(i => r.GetValue(i) is byte[] bytes ? Convert.ToHexString(bytes) + System.Text.Encoding.Latin1.GetString(bytes) : r.GetValue(i).ToString()).ToList());
        Assert.Equal(2, cells.Count);
        Assert.All(cells.SelectMany(c => c), cell => Assert.DoesNotContain(secretText, cell));
        if (open.Address.FilePath is { } file)
        {
            var bytes = File.ReadAllBytes(file).Concat(File.Exists(file + "-wal") ? File.ReadAllBytes(file + "-wal") : []).ToArray();
            Assert.DoesNotContain(secretText, System.Text.Encoding.Latin1.GetString(bytes));
        }
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public void MissingMalformedAndUnknownKeysAreRefused(string backend)
    {
        using var db = new TestDatabase(backend);
        var store = Store(db);
        Assert.Equal(KeyCheck.Missing, store.Check(null).Check);
        Assert.Equal(KeyCheck.Missing, store.Check("").Check);
        Assert.Equal(KeyCheck.Invalid, store.Check("sk-not-ours").Check);
        Assert.Equal(KeyCheck.Invalid, store.Check("mx-aaaaaaaaaaaa-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").Check);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public void AKeyWithAnAlteredSecretIsInvalid(string backend)
    {
        using var db = new TestDatabase(backend);
        var store = Store(db);
        var key = store.Create("t", new KeyLimits()).Key;
        var last = key[^2] == 'A' ? 'B' : 'A';
        Assert.Equal(KeyCheck.Invalid, store.Check(key[..^2] + last + key[^1]).Check);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public void RevokedAndExpiredKeysAreRefusedWithTheirReason(string backend)
    {
        using var db = new TestDatabase(backend);
        var store = Store(db);
        var revoked = store.Create("t", new KeyLimits());
        Assert.True(store.Revoke(revoked.Record.Id));
        Assert.Equal(KeyCheck.Revoked, store.Check(revoked.Key).Check);
        Assert.False(store.Revoke("nonexistent1"));

        var expiring = store.Create("t", new KeyLimits(), expires: _clock.GetUtcNow().AddHours(1));
        Assert.Equal(KeyCheck.Valid, store.Check(expiring.Key).Check);
        _clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(KeyCheck.Expired, store.Check(expiring.Key).Check);
        Assert.Contains(store.List("t"), k => k.Id == expiring.Record.Id && !k.IsActive(_clock.GetUtcNow()));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Backends), MemberType = typeof(TestDatabase))]
    public void BadLimitsAndPastExpiriesAreRejected(string backend)
    {
        using var db = new TestDatabase(backend);
        var store = Store(db);
        Assert.Throws<ArgumentException>(() => store.Create("t", new KeyLimits { RequestsPerMinute = 0 }));
        Assert.Throws<ArgumentException>(() => store.Create("t", new KeyLimits { Models = [] }));
        Assert.Throws<ArgumentException>(() => store.Create("", new KeyLimits()));
        Assert.Throws<ArgumentException>(() => store.Create("t", new KeyLimits(), expires: _clock.GetUtcNow().AddMinutes(-1)));
        Assert.False(store.Any());
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
