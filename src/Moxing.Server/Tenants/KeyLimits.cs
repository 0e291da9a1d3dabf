using System.Text.Json.Serialization;

namespace Moxing.Server.Tenants;

/// <summary>What one API key may do; a null limit is unlimited.</summary>
public sealed record KeyLimits
{
    /// <summary>Requests per minute.</summary>
    public int? RequestsPerMinute { get; init; }

    /// <summary>Prompt + completion tokens per minute.</summary>
    public int? TokensPerMinute { get; init; }

    /// <summary>Prompt + completion tokens per UTC day.</summary>
    public long? TokensPerDay { get; init; }

    /// <summary>Requests running at once.</summary>
    public int? MaxConcurrent { get; init; }

    /// <summary>Most prompt + completion tokens one request may span.</summary>
    public int? MaxContext { get; init; }

    /// <summary>Most completion tokens one request may ask for.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Models the key may use (names as the store knows them); null: all.</summary>
    public IReadOnlyList<string>? Models { get; init; }

    /// <summary>Higher runs first among the tenant's own waiting requests.</summary>
    public int Priority { get; init; }

    /// <summary>The tenant's share of a saturated model under weighted fair queuing.</summary>
    public double Weight { get; init; } = 1;

    /// <summary>True when <paramref name="model"/> is allowed.</summary>
    public bool AllowsModel(string model) => Models == null || Models.Contains(model, StringComparer.Ordinal);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first value out of range.</summary>
    public void Validate()
    {
        static void Positive(long? value, string name)
        {
            if (value is <= 0) throw new ArgumentException($"{name} must be positive, got {value}");
        }
        Positive(RequestsPerMinute, "requests per minute");
        Positive(TokensPerMinute, "tokens per minute");
        Positive(TokensPerDay, "tokens per day");
        Positive(MaxConcurrent, "max concurrent requests");
        Positive(MaxContext, "max context");
        Positive(MaxTokens, "max tokens");
        if (!(Weight > 0 && double.IsFinite(Weight))) throw new ArgumentException($"weight must be a positive number, got {Weight}");
        if (Models is { Count: 0 }) throw new ArgumentException("the model list is empty; omit it to allow every model");
    }
}

/// <summary>Source-generated JSON for the key tables (trimming-safe).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(KeyLimits))]
public sealed partial class TenantJsonContext : JsonSerializerContext;
