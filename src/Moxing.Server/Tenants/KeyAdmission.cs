using Moxing.Server.Http;

namespace Moxing.Server.Tenants;

/// <summary>
/// One admitted request of a key: checks its size against the key's and its tenant's per-request limits, reserves its tokens (prompt +
/// max tokens) from the key and its tenant and settles them with the real count at the end; disposing frees its concurrency slots.
/// </summary>
public sealed class KeyAdmission : IDisposable
{
    private readonly TenantLimiter _limiter;
    private readonly LimitState[] _scopes;
    private long _reserved;
    private int _settled;
    private int _disposed;

    internal KeyAdmission(TenantLimiter limiter, ApiKeyRecord key, LimitState[] scopes)
    {
        _limiter = limiter;
        _scopes = scopes;
        Key = key;
    }

    /// <summary>The key admitted.</summary>
    public ApiKeyRecord Key { get; }

    /// <summary>
    /// The completion budget allowed for a prompt of <paramref name="promptTokens"/> and a requested <paramref name="maxTokens"/>
    /// (null: none asked; the strictest max tokens of key and tenant then caps it). 413 when the prompt is over the stricter max
    /// context of key and tenant (naming <paramref name="promptParam"/>), 400 when the request asks for more than the stricter max
    /// tokens; the message names whose limit it is.
    /// </summary>
    public int? Budget(int promptTokens, int? maxTokens, string promptParam)
    {
        if (Key.Strictest(l => l.MaxContext) is { } context && promptTokens > context.Cap)
            throw new ApiException(413, $"the prompt has {promptTokens} tokens but {context.Who} allows at most {context.Cap} prompt tokens per request",
                param: promptParam, code: "context_limit_exceeded");
        var max = Key.Strictest(l => l.MaxTokens);
        if (max is { } m && maxTokens > m.Cap)
            throw new ApiException(400, $"max_tokens is {maxTokens} but {m.Who} allows at most {m.Cap} tokens per request",
                param: "max_tokens", code: "max_tokens_limit_exceeded");
        return maxTokens ?? max?.Cap;
    }

    /// <summary>Reserves <paramref name="tokens"/> against the key's and the tenant's tokens per minute and per day, or throws a 429 (413 if they can never fit).</summary>
    public void Reserve(long tokens)
    {
        if (tokens <= 0) return;
        _limiter.Reserve(_scopes, tokens);
        Interlocked.Add(ref _reserved, tokens);
    }

    /// <summary>Replaces the reservation by the tokens the request really used (once; later calls do nothing).</summary>
    public void Settle(long used)
    {
        if (Interlocked.Exchange(ref _settled, 1) == 0) _limiter.Settle(_scopes, Interlocked.Read(ref _reserved), used);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _limiter.Release(_scopes);
    }
}
