using System.Text.Json.Serialization;

namespace Moxing.Server.Tenants;

/// <summary>What one API key may do: its rate limits and its per-request limits; a null limit is unlimited.</summary>
public sealed record KeyLimits : RateLimits
{
    /// <summary>Most prompt + completion tokens one request may span.</summary>
    public int? MaxContext { get; init; }

    /// <summary>Most completion tokens one request may ask for.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Models the key may use (names as the store knows them); null: all.</summary>
    public IReadOnlyList<string>? Models { get; init; }

    /// <summary>Higher runs first among the tenant's own waiting requests.</summary>
    public int Priority { get; init; }

    /// <summary>The tenant's share of a saturated model under weighted fair queuing, unless the tenant sets its own weight.</summary>
    public double Weight { get; init; } = 1;

    /// <summary>True when <paramref name="model"/> is allowed.</summary>
    public bool AllowsModel(string model) => Models == null || Models.Contains(model, StringComparer.Ordinal);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first value out of range.</summary>
    public override void Validate()
    {
        base.Validate();
        Positive(MaxContext, "max context");
        Positive(MaxTokens, "max tokens");
        PositiveWeight(Weight);
        if (Models is { Count: 0 }) throw new ArgumentException("the model list is empty; omit it to allow every model");
    }
}

/// <summary>Source-generated JSON for the key tables (trimming-safe).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(KeyLimits))]
[JsonSerializable(typeof(TenantLimits))]
public sealed partial class TenantJsonContext : JsonSerializerContext;
