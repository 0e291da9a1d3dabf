using Moxing.Server.Http;

namespace Moxing.Server.Tenants;

/// <summary>
/// The limiter's state of one key or one tenant: requests running, request and token buckets, and tokens spent this UTC day.
/// Each check returns the refusal (a 429 naming the limit and whose it is) instead of throwing, so that a key's and its tenant's
/// checks can all run before anything is taken. Not thread-safe: <see cref="TenantLimiter"/> holds its lock.
/// </summary>
internal sealed class LimitState(string who, RequestLimits limits)
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    /// <summary>How messages name the owner: "the API key ID" or "the tenant 'T'".</summary>
    public string Who { get; } = who;

    /// <summary>The limits the buckets were made for.</summary>
    public RequestLimits Limits { get; private set; } = limits;

    public int Running { get; set; }

    public RateBucket? Requests { get; private set; } = Bucket(limits.RequestsPerMinute);

    public RateBucket? Tokens { get; private set; } = Bucket(limits.TokensPerMinute);

    public DateOnly Day { get; private set; }

    public long DayTokens { get; set; }

    public bool DaySeeded { get; set; }

    /// <summary>True when nothing runs and the buckets have refilled: the state can be forgotten (daily spending is in the usage table).</summary>
    public bool IsIdle(long now) => Running == 0 && (Requests?.IsFull(now) ?? true) && (Tokens?.IsFull(now) ?? true);

    /// <summary>Follows a change of the owner's limits (a tenant's can change while serving); a changed rate starts with a full bucket.</summary>
    public void Update(RequestLimits limits)
    {
        if (limits.RequestsPerMinute != Limits.RequestsPerMinute) Requests = Bucket(limits.RequestsPerMinute);
        if (limits.TokensPerMinute != Limits.TokensPerMinute) Tokens = Bucket(limits.TokensPerMinute);
        Limits = limits;
    }

    /// <summary>Starts a new UTC day's spending when <paramref name="now"/> is in a later day than the last one seen.</summary>
    public void RollDay(DateTimeOffset now)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        if (Day == today) return;
        if (DaySeeded) DayTokens = 0; // a new UTC day: reservations still running carry no spending into it
        Day = today;
    }

    /// <summary>Why one more request may not start now (concurrency, tokens left today, requests per minute); null: it may.</summary>
    public ApiException? RefuseRequest(DateTimeOffset now)
    {
        if (Limits.MaxConcurrent is { } max && Running >= max)
            return Refusal($"{Who} already has {max} requests running, its limit of concurrent requests", "rate_limit_concurrent", TimeSpan.FromSeconds(1));
        if (Limits.TokensPerDay is { } day && DayTokens >= day) return TokensPerDay(now);
        return Requests?.Wait(1, now.UtcTicks) is { } wait
            ? Refusal($"{Who} reached its limit of {Limits.RequestsPerMinute} requests per minute", "rate_limit_requests", wait) : null;
    }

    /// <summary>A 413 when <paramref name="tokens"/> can never fit the tokens per minute; null otherwise.</summary>
    public ApiException? NeverFits(long tokens) => Limits.TokensPerMinute is { } tpm && tokens > tpm
        ? new ApiException(413, $"the request may use {tokens} tokens (prompt + max tokens) but {Who} allows {tpm} tokens per minute; "
            + "lower max_tokens or shorten the prompt", param: "max_tokens", code: "rate_limit_tokens")
        : null;

    /// <summary>Why <paramref name="tokens"/> more may not be reserved now (tokens per day, then per minute); null: they may.</summary>
    public ApiException? RefuseTokens(long tokens, DateTimeOffset now)
    {
        if (Limits.TokensPerDay is { } day && DayTokens + tokens > day) return TokensPerDay(now, tokens);
        return Tokens?.Wait(tokens, now.UtcTicks) is { } wait
            ? Refusal($"{Who} reached its limit of {Limits.TokensPerMinute} tokens per minute ({tokens} more tokens asked for, prompt + max tokens)",
                "rate_limit_tokens", wait)
            : null;
    }

    /// <summary>Takes what <see cref="RefuseTokens"/> allowed.</summary>
    public void TakeTokens(long tokens, long now)
    {
        Tokens?.Take(tokens, now);
        DayTokens += tokens;
    }

    /// <summary>Replaces <paramref name="reserved"/> tokens by the <paramref name="used"/> ones.</summary>
    public void Settle(long reserved, long used)
    {
        DayTokens = Math.Max(0, DayTokens + used - reserved);
        Tokens?.Adjust(used - reserved);
    }

    /// <summary>The first UTC midnight at or before <paramref name="now"/>.</summary>
    public static DateTimeOffset DayStart(DateTimeOffset now) => new(now.UtcDateTime.Date, TimeSpan.Zero);

    private ApiException TokensPerDay(DateTimeOffset now, long? tokens = null) => Refusal(
        $"{Who} reached its limit of {Limits.TokensPerDay} tokens per UTC day" + (tokens is { } t ? $" ({DayTokens} used or reserved, {t} more asked for)" : ""),
        "rate_limit_tokens_per_day", DayStart(now).AddDays(1) - now);

    private static ApiException Refusal(string message, string code, TimeSpan retryAfter) =>
        new(429, message, "rate_limit_error", code: code) { RetryAfter = retryAfter < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : retryAfter };

    private static RateBucket? Bucket(int? perMinute) => perMinute is { } n ? new RateBucket(n, Minute) : null;
}
