using Moxing.Server.Tenants;
using Moxing.Server.Http;

namespace Moxing.Server.Tests.Tenants;

public sealed class TenantLimiterTests
{
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static ApiKeyRecord Key(KeyLimits limits, string id = "abcdefghijkl") => new(id, "t", limits, false, DateTimeOffset.UnixEpoch, null, null);

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
}
