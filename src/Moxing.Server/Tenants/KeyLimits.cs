using System.Text.Json.Serialization;

namespace Moxing.Server.Tenants;

/// <summary>What one API key may do: the limits of <see cref="RequestLimits"/>, its priority and its weight.</summary>
public sealed record KeyLimits : RequestLimits
{
    /// <summary>Higher runs first among the tenant's own waiting requests.</summary>
    public int Priority { get; init; }

    /// <summary>The tenant's share of a saturated model under weighted fair queuing, unless the tenant sets its own weight.</summary>
    public double Weight { get; init; } = 1;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first value out of range.</summary>
    public override void Validate()
    {
        base.Validate();
        PositiveWeight(Weight);
    }
}

/// <summary>Source-generated JSON for the key tables (trimming-safe).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(KeyLimits))]
[JsonSerializable(typeof(TenantLimits))]
public sealed partial class TenantJsonContext : JsonSerializerContext;
