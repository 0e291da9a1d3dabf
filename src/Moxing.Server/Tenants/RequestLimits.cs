namespace Moxing.Server.Tenants;

/// <summary>
/// The limits a key and a tenant both can have (a tenant's are shared by all its keys): rates, concurrency, per-request caps and
/// allowed models; a null limit is unlimited. A request must fit its key's and its tenant's.
/// </summary>
public abstract record RequestLimits
{
    /// <summary>Requests per minute.</summary>
    public int? RequestsPerMinute { get; init; }

    /// <summary>Prompt + completion tokens per minute.</summary>
    public int? TokensPerMinute { get; init; }

    /// <summary>Prompt + completion tokens per UTC day.</summary>
    public long? TokensPerDay { get; init; }

    /// <summary>Requests running at once.</summary>
    public int? MaxConcurrent { get; init; }

    /// <summary>Most prompt tokens one request may have.</summary>
    public int? MaxContext { get; init; }

    /// <summary>Most completion tokens one request may ask for (and its budget when it asks for none).</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Models that may be used (names as the store knows them); null: all.</summary>
    public IReadOnlyList<string>? Models { get; init; }

    /// <summary>True when <paramref name="model"/> is allowed.</summary>
    public bool AllowsModel(string model) => Models == null || Models.Contains(model, StringComparer.Ordinal);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first limit out of range.</summary>
    public virtual void Validate()
    {
        Positive(RequestsPerMinute, "requests per minute");
        Positive(TokensPerMinute, "tokens per minute");
        Positive(TokensPerDay, "tokens per day");
        Positive(MaxConcurrent, "max concurrent requests");
        Positive(MaxContext, "max context");
        Positive(MaxTokens, "max tokens");
        if (Models is { Count: 0 }) throw new ArgumentException("the model list is empty; leave it unset to allow every model");
        if (Models?.Any(string.IsNullOrWhiteSpace) == true) throw new ArgumentException("a model name in the list is empty");
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
