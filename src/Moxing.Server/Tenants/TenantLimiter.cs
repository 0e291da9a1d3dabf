using Moxing.Server.Http;
using Moxing.Server.Metering;

namespace Moxing.Server.Tenants;

/// <summary>
/// Enforces each key's rate limits and its tenant's (shared by all the tenant's keys) in memory: requests and tokens per minute
/// (<see cref="RateBucket"/>), tokens per UTC day (seeded from the usage table, so a restart does not hand out a fresh day) and
/// requests running at once. A request is admitted only when the key and its tenant both allow it; otherwise the refusal with the
/// longest Retry-After (the stricter limit) is thrown, naming the limit and whether it is the key's or the tenant's. State exists
/// only for keys and tenants with requests running or buckets not yet refilled, so memory stays bounded by the active ones.
/// </summary>
public sealed class TenantLimiter(UsageStore? usage, TimeProvider? clock = null)
{
    private const int SweepEvery = 256;

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LimitState> _states = new(StringComparer.Ordinal);
    private int _sinceSweep;

    /// <summary>Keys and tenants with limiter state now (for tests of boundedness).</summary>
    public int TrackedKeys
    {
        get
        {
            lock (_gate) return _states.Count;
        }
    }

    /// <summary>
    /// Admits one request of <paramref name="key"/> or throws a 429 naming the limit: requests per minute, requests running at
    /// once, and whether any tokens are left today, for the key and its tenant. Dispose the admission when the request ends.
    /// </summary>
    public KeyAdmission Admit(ApiKeyRecord key)
    {
        var now = _clock.GetUtcNow();
        lock (_gate)
        {
            if (++_sinceSweep >= SweepEvery) Sweep(now.UtcTicks);
            var scopes = ScopesOf(key, now);
            ApiException? refusal = null;
            foreach (var s in scopes) refusal = Stricter(refusal, s.RefuseRequest(now));
            if (refusal != null) throw refusal;
            foreach (var s in scopes)
            {
                s.Requests?.Take(1, now.UtcTicks);
                s.Running++;
            }
            return new KeyAdmission(this, key, scopes);
        }
    }

    // A request that can never fit is a 413 whatever the buckets hold now (not a 429 to retry); else the stricter 429, else taken.
    internal void Reserve(LimitState[] scopes, long tokens)
    {
        var now = _clock.GetUtcNow();
        lock (_gate)
        {
            foreach (var s in scopes)
                if (s.NeverFits(tokens) is { } tooLarge) throw tooLarge;
            ApiException? refusal = null;
            foreach (var s in scopes)
            {
                s.RollDay(now);
                refusal = Stricter(refusal, s.RefuseTokens(tokens, now));
            }
            if (refusal != null) throw refusal;
            foreach (var s in scopes) s.TakeTokens(tokens, now.UtcTicks);
        }
    }

    internal void Settle(LimitState[] scopes, long reserved, long used)
    {
        var now = _clock.GetUtcNow();
        lock (_gate)
            foreach (var s in scopes)
            {
                s.RollDay(now);
                s.Settle(reserved, used);
            }
    }

    internal void Release(LimitState[] scopes)
    {
        lock (_gate)
            foreach (var s in scopes) s.Running--;
    }

    private LimitState[] ScopesOf(ApiKeyRecord key, DateTimeOffset now) => [.. key.Owners.Select(o => StateOf(o, now))];

    private LimitState StateOf(LimitOwner owner, DateTimeOffset now)
    {
        var limits = owner.Limits;
        if (!_states.TryGetValue(owner.Id, out var state)) _states[owner.Id] = state = new LimitState(owner.Who, limits);
        else state.Update(limits);
        state.RollDay(now);
        if (limits.TokensPerDay != null && !state.DaySeeded)
        {
            // A forgotten or new state learns today's spending from the usage table (committed requests; none of its own is running).
            state.DayTokens = usage?.TokensUsed(owner.Spending with { Since = LimitState.DayStart(now) }) ?? 0;
            state.DaySeeded = true;
        }
        return state;
    }

    private static ApiException? Stricter(ApiException? a, ApiException? b) =>
        a is null ? b : b is null ? a : b.RetryAfter > a.RetryAfter ? b : a;

    // Forgets keys and tenants with nothing running whose buckets have refilled; their daily spending is in the usage table.
    private void Sweep(long now)
    {
        _sinceSweep = 0;
        List<string>? idle = null;
        foreach (var (id, s) in _states)
            if (s.IsIdle(now)) (idle ??= []).Add(id);
        if (idle != null)
            foreach (var id in idle) _states.Remove(id);
    }
}
