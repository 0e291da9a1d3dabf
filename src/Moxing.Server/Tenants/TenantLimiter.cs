using Moxing.Server.Http;
using Moxing.Server.Metering;

namespace Moxing.Server.Tenants;

/// <summary>
/// Enforces each key's rate limits in memory: requests and tokens per minute (<see cref="RateBucket"/>), tokens per UTC day
/// (seeded from the usage table, so a restart does not hand out a fresh day) and requests running at once. State exists only
/// for keys with requests running or buckets not yet refilled, so memory stays bounded by the active keys.
/// </summary>
public sealed class TenantLimiter(UsageStore? usage, TimeProvider? clock = null)
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private const int SweepEvery = 256;

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, KeyState> _states = new(StringComparer.Ordinal);
    private int _sinceSweep;

    internal sealed class KeyState(KeyLimits limits)
    {
        public int Running;
        public readonly RateBucket? Requests = limits.RequestsPerMinute is { } rpm ? new RateBucket(rpm, Minute) : null;
        public readonly RateBucket? Tokens = limits.TokensPerMinute is { } tpm ? new RateBucket(tpm, Minute) : null;
        public DateOnly Day;
        public long DayTokens;
        public bool DaySeeded;
    }

    /// <summary>Keys with limiter state now (for tests of boundedness).</summary>
    public int TrackedKeys
    {
        get
        {
            lock (_gate) return _states.Count;
        }
    }

    /// <summary>
    /// Admits one request of <paramref name="key"/> or throws a 429 naming the limit: requests per minute, requests running at
    /// once, and whether the key has any tokens left this minute and today. Dispose the admission when the request ends.
    /// </summary>
    public KeyAdmission Admit(ApiKeyRecord key)
    {
        var limits = key.Limits;
        var now = _clock.GetUtcNow();
        lock (_gate)
        {
            if (++_sinceSweep >= SweepEvery) Sweep(now.UtcTicks);
            var state = StateOf(key, now);
            if (limits.MaxConcurrent is { } max && state.Running >= max)
                throw Limit($"the API key {key.Id} already has {max} requests running, its limit of concurrent requests", "rate_limit_concurrent",
                    TimeSpan.FromSeconds(1));
            if (state.Tokens is { } tokens && !tokens.HasRoom(now.UtcTicks, out var tokenWait))
                throw TokensPerMinute(key, tokenWait);
            if (limits.TokensPerDay is { } day && state.DayTokens >= day) throw TokensPerDay(key, now);
            if (state.Requests?.TryTake(1, now.UtcTicks) is { } wait)
                throw Limit($"the API key {key.Id} reached its limit of {limits.RequestsPerMinute} requests per minute", "rate_limit_requests", wait);
            state.Running++;
            return new KeyAdmission(this, key, state);
        }
    }

    internal void Reserve(ApiKeyRecord key, KeyState state, long tokens)
    {
        var limits = key.Limits;
        var now = _clock.GetUtcNow();
        lock (_gate)
        {
            RollDay(state, now);
            if (limits.TokensPerMinute is { } tpm && tokens > tpm)
                throw new ApiException(413, $"the request may use {tokens} tokens (prompt + max tokens) but the API key {key.Id} allows {tpm} tokens per minute; "
                    + "lower max_tokens or shorten the prompt", param: "max_tokens", code: "rate_limit_tokens");
            if (limits.TokensPerDay is { } day && state.DayTokens + tokens > day)
                throw TokensPerDay(key, now, state.DayTokens, tokens);
            if (state.Tokens?.TryTake(tokens, now.UtcTicks) is { } wait) throw TokensPerMinute(key, wait, tokens);
            state.DayTokens += tokens;
        }
    }

    internal void Settle(KeyState state, long reserved, long used)
    {
        lock (_gate)
        {
            RollDay(state, _clock.GetUtcNow());
            state.DayTokens = Math.Max(0, state.DayTokens + used - reserved);
            state.Tokens?.Adjust(used - reserved);
        }
    }

    internal void Release(KeyState state)
    {
        lock (_gate) state.Running--;
    }

    private KeyState StateOf(ApiKeyRecord key, DateTimeOffset now)
    {
        if (!_states.TryGetValue(key.Id, out var state)) _states[key.Id] = state = new KeyState(key.Limits);
        RollDay(state, now);
        if (key.Limits.TokensPerDay != null && !state.DaySeeded)
        {
            // A forgotten or new state learns today's spending from the usage table (committed requests; none of this key is running).
            state.DayTokens = usage?.TokensUsed(new UsageQuery(KeyId: key.Id, Since: DayStart(now))) ?? 0;
            state.DaySeeded = true;
        }
        return state;
    }

    private static void RollDay(KeyState state, DateTimeOffset now)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        if (state.Day == today) return;
        if (state.DaySeeded) state.DayTokens = 0; // a new UTC day: reservations still running carry no spending into it
        state.Day = today;
    }

    // Forgets keys with nothing running whose buckets have refilled; their daily spending is in the usage table.
    private void Sweep(long now)
    {
        _sinceSweep = 0;
        List<string>? idle = null;
        foreach (var (id, s) in _states)
            if (s.Running == 0 && (s.Requests?.IsFull(now) ?? true) && (s.Tokens?.IsFull(now) ?? true)) (idle ??= []).Add(id);
        if (idle != null)
            foreach (var id in idle) _states.Remove(id);
    }

    private static DateTimeOffset DayStart(DateTimeOffset now) => new(now.UtcDateTime.Date, TimeSpan.Zero);

    private static ApiException Limit(string message, string code, TimeSpan retryAfter) =>
        new(429, message, "rate_limit_error", code: code) { RetryAfter = retryAfter < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : retryAfter };

    private static ApiException TokensPerMinute(ApiKeyRecord key, TimeSpan wait, long? tokens = null) => Limit(
        $"the API key {key.Id} reached its limit of {key.Limits.TokensPerMinute} tokens per minute"
        + (tokens is { } t ? $" ({t} more tokens asked for, prompt + max tokens)" : ""), "rate_limit_tokens", wait);

    private static ApiException TokensPerDay(ApiKeyRecord key, DateTimeOffset now, long? spent = null, long? tokens = null) => Limit(
        $"the API key {key.Id} reached its limit of {key.Limits.TokensPerDay} tokens per UTC day"
        + (tokens is { } t ? $" ({spent} used or reserved, {t} more asked for)" : ""), "rate_limit_tokens_per_day", DayStart(now).AddDays(1) - now);
}
