using Moxing.Server.Http;
using Moxing.Server.Metering;
using Moxing.Server.Tenants;
using Moxing.Server.Tests.Data;

namespace Moxing.Server.Tests.Tenants;

public sealed class TenantLimiterTests
{
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static ApiKeyRecord Key(KeyLimits limits, string id = "abcdefghijkl", TenantLimits? tenant = null) =>
        new(id, "t", limits, false, DateTimeOffset.UnixEpoch, null, null) { TenantLimits = tenant };

    [Fact]
    public void ConcurrentRequestsAreCappedAndFreedOnDispose()
    {
        var limiter = new TenantLimiter(null);
        var key = Key(new KeyLimits { MaxConcurrent = 2 });
        var a = limiter.Admit(key);
        using var b = limiter.Admit(key);
        var refused = Assert.Throws<ApiException>(() => limiter.Admit(key));
        Assert.Equal((429, "rate_limit_concurrent"), (refused.Status, refused.Code));
        a.Dispose();
        a.Dispose(); // idempotent
        using var c = limiter.Admit(key);
        Assert.Throws<ApiException>(() => limiter.Admit(key));
    }

    [Fact]
    public void RequestsPerMinuteRefillEvenlyAndRetryAfterIsExact()
    {
        var clock = new ManualClock(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var limiter = new TenantLimiter(null, clock);
        var key = Key(new KeyLimits { RequestsPerMinute = 6 });
        for (var i = 0; i < 6; i++) limiter.Admit(key).Dispose();
        Assert.Equal(TimeSpan.FromSeconds(10), Assert.Throws<ApiException>(() => limiter.Admit(key)).RetryAfter);
        clock.Now += TimeSpan.FromSeconds(4);
        Assert.Equal(TimeSpan.FromSeconds(6), Assert.Throws<ApiException>(() => limiter.Admit(key)).RetryAfter);
        clock.Now += TimeSpan.FromSeconds(6);
        limiter.Admit(key).Dispose();
        Assert.Throws<ApiException>(() => limiter.Admit(key));
    }

    [Fact]
    public void TokenReservationsSettleToTheRealCountAndDaysRollOverAtUtcMidnight()
    {
        var clock = new ManualClock(new DateTimeOffset(2025, 3, 1, 23, 59, 0, TimeSpan.Zero));
        var limiter = new TenantLimiter(null, clock);
        var key = Key(new KeyLimits { TokensPerDay = 100 });
        using (var a = limiter.Admit(key))
        {
            a.Reserve(90);
            using var b = limiter.Admit(key);
            var refused = Assert.Throws<ApiException>(() => b.Reserve(20));
            Assert.Equal("rate_limit_tokens_per_day", refused.Code);
            Assert.Equal(TimeSpan.FromMinutes(1), refused.RetryAfter);
            a.Settle(30); // 90 reserved, 30 used: 60 return
            b.Reserve(70);
            b.Settle(70);
        }
        Assert.Equal("rate_limit_tokens_per_day", Assert.Throws<ApiException>(() => limiter.Admit(key)).Code);
        clock.Now += TimeSpan.FromMinutes(1);
        using var tomorrow = limiter.Admit(key);
        tomorrow.Reserve(100);
    }

    [Fact]
    public void IdleKeysAreForgotten()
    {
        var clock = new ManualClock(DateTimeOffset.UnixEpoch.AddYears(50));
        var limiter = new TenantLimiter(null, clock);
        for (var i = 0; i < 300; i++) limiter.Admit(Key(new KeyLimits { RequestsPerMinute = 10 }, $"key{i:D9}")).Dispose();
        Assert.True(limiter.TrackedKeys <= 300);
        clock.Now += TimeSpan.FromMinutes(2);
        for (var i = 0; i < 256; i++) limiter.Admit(Key(new KeyLimits(), "samekey00000")).Dispose();
        Assert.True(limiter.TrackedKeys <= 1, $"{limiter.TrackedKeys} keys still tracked");
    }

    [Fact]
    public void TwoKeysOfOneTenantShareItsConcurrencyAndThe429NamesTheTenant()
    {
        var limiter = new TenantLimiter(null);
        var tenant = new TenantLimits { MaxConcurrent = 1 };
        var first = limiter.Admit(Key(new KeyLimits(), "keyaaaaaaaaa", tenant));
        var refused = Assert.Throws<ApiException>(() => limiter.Admit(Key(new KeyLimits(), "keybbbbbbbbb", tenant)));
        Assert.Equal((429, "rate_limit_concurrent"), (refused.Status, refused.Code));
        Assert.StartsWith("the tenant 't' already has 1 requests running", refused.Message);
        first.Dispose();
        limiter.Admit(Key(new KeyLimits(), "keybbbbbbbbb", tenant)).Dispose();
    }

    [Fact]
    public void WhenKeyAndTenantBothRefuseTheLongerRetryAfterWins()
    {
        var clock = new ManualClock(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var limiter = new TenantLimiter(null, clock);
        var tenant = new TenantLimits { RequestsPerMinute = 3 };
        var a = Key(new KeyLimits { RequestsPerMinute = 2 }, "keyaaaaaaaaa", tenant);
        limiter.Admit(a).Dispose();
        limiter.Admit(a).Dispose();
        limiter.Admit(Key(new KeyLimits(), "keybbbbbbbbb", tenant)).Dispose();
        // The key's next slot is 30 s away, the tenant's 20 s: the key's limit is the stricter one.
        var refused = Assert.Throws<ApiException>(() => limiter.Admit(a));
        Assert.Equal(TimeSpan.FromSeconds(30), refused.RetryAfter);
        Assert.StartsWith("the API key keyaaaaaaaaa reached its limit of 2 requests per minute", refused.Message);
        clock.Now += TimeSpan.FromSeconds(30);
        limiter.Admit(a).Dispose();
        // Now only the tenant refuses (its 3 a minute are taken again), and says so.
        refused = Assert.Throws<ApiException>(() => limiter.Admit(Key(new KeyLimits(), "keycccccccc", tenant)));
        Assert.StartsWith("the tenant 't' reached its limit of 3 requests per minute", refused.Message);
    }

    [Fact]
    public void ARequestThatCanNeverFitIs413EvenWhileTheBucketIsEmpty()
    {
        var limiter = new TenantLimiter(null);
        var key = Key(new KeyLimits { TokensPerMinute = 100 }, tenant: new TenantLimits { TokensPerMinute = 1000 });
        using (var full = limiter.Admit(key)) full.Reserve(100);
        // The bucket holds no token now; a request of 101 would still never fit: 413, not a 429 with a retry.
        using var next = limiter.Admit(key);
        var refused = Assert.Throws<ApiException>(() => next.Reserve(101));
        Assert.Equal((413, "rate_limit_tokens"), (refused.Status, refused.Code));
        Assert.Equal(429, Assert.Throws<ApiException>(() => next.Reserve(50)).Status);
        // The tenant's own per-minute limit is checked the same way.
        var tenantBound = Key(new KeyLimits(), "keybbbbbbbbb", new TenantLimits { TokensPerMinute = 10 });
        using var small = limiter.Admit(tenantBound);
        refused = Assert.Throws<ApiException>(() => small.Reserve(11));
        Assert.Equal(413, refused.Status);
        Assert.Contains("the tenant 't' allows 10 tokens per minute", refused.Message);
    }

    [Fact]
    public void AChangeOfTheTenantsLimitsAppliesToItsNextRequest()
    {
        var limiter = new TenantLimiter(null);
        limiter.Admit(Key(new KeyLimits(), tenant: new TenantLimits { RequestsPerMinute = 1 })).Dispose();
        Assert.Throws<ApiException>(() => limiter.Admit(Key(new KeyLimits(), tenant: new TenantLimits { RequestsPerMinute = 1 })));
        limiter.Admit(Key(new KeyLimits(), tenant: new TenantLimits { RequestsPerMinute = 5 })).Dispose();
        limiter.Admit(Key(new KeyLimits())).Dispose(); // limits removed: only the key's (none) apply
    }

    [Fact]
    public void TheTenantsDailyTokensAreSeededFromTheUsageOfAllItsKeys()
    {
        using var db = new TestDatabase(TestDatabase.Sqlite);
        var usage = new UsageStore(db.Open());
        usage.Record(new UsageRecord
        {
            Time = DateTimeOffset.UtcNow,
            RequestId = "r1",
            Tenant = "t",
            KeyId = "keyaaaaaaaaa",
            Model = "m",
            Endpoint = "/v1/completions",
            Status = 200,
            Outcome = "ok",
            PromptTokens = 60,
            CompletionTokens = 30,
        });
        var limiter = new TenantLimiter(usage);
        using var admission = limiter.Admit(Key(new KeyLimits(), "keybbbbbbbbb", new TenantLimits { TokensPerDay = 100 }));
        admission.Reserve(10);
        var refused = Assert.Throws<ApiException>(() => admission.Reserve(1));
        Assert.Equal("rate_limit_tokens_per_day", refused.Code);
        Assert.StartsWith("the tenant 't' reached its limit of 100 tokens per UTC day (100 used or reserved, 1 more asked for)", refused.Message);
    }

    [Fact]
    public void TenantLimitsReadAndWriteOnlyTheFieldsGiven()
    {
        var limits = new TenantLimits().With("rpm", 60).With("weight", 2.5).With("tokens_per_day", 1e6);
        Assert.Equal(new TenantLimits { RequestsPerMinute = 60, Weight = 2.5, TokensPerDay = 1_000_000 }, limits);
        Assert.Equal(new TenantLimits { Weight = 2.5, TokensPerDay = 1_000_000 }, limits.With("rpm", null));
        Assert.Contains("whole number", Assert.Throws<ArgumentException>(() => limits.With("tpm", 1.5)).Message);
        Assert.Contains("whole number", Assert.Throws<ArgumentException>(() => limits.With("max_concurrent", 0)).Message);
        Assert.Contains("known: rpm", Assert.Throws<ArgumentException>(() => limits.With("rpn", 1)).Message);
        Assert.Throws<ArgumentException>(() => (limits with { Weight = -1 }).Validate());
    }
}
