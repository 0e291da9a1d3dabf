namespace Moxing.Server.Tenants;

/// <summary>The rate limits a key and a tenant both can have (a tenant's are shared by all its keys); a null limit is unlimited.</summary>
public abstract record RateLimits
{
    /// <summary>Requests per minute.</summary>
    public int? RequestsPerMinute { get; init; }

    /// <summary>Prompt + completion tokens per minute.</summary>
    public int? TokensPerMinute { get; init; }

    /// <summary>Prompt + completion tokens per UTC day.</summary>
    public long? TokensPerDay { get; init; }

    /// <summary>Requests running at once.</summary>
    public int? MaxConcurrent { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first rate limit out of range.</summary>
    public virtual void Validate()
    {
        Positive(RequestsPerMinute, "requests per minute");
        Positive(TokensPerMinute, "tokens per minute");
        Positive(TokensPerDay, "tokens per day");
        Positive(MaxConcurrent, "max concurrent requests");
    }

    /// <summary>Throws <see cref="ArgumentException"/> when <paramref name="value"/> is given and not positive.</summary>
    protected static void Positive(long? value, string name)
    {
        if (value is <= 0) throw new ArgumentException($"{name} must be positive, got {value}");
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="weight"/> is a positive finite number.</summary>
    protected static void PositiveWeight(double weight)
    {
        if (!(weight > 0 && double.IsFinite(weight))) throw new ArgumentException($"weight must be a positive number, got {weight}");
    }
}
