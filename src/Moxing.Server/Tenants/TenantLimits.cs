namespace Moxing.Server.Tenants;

/// <summary>
/// A tenant's own limits, shared by all its keys and enforced together with each key's (the stricter wins: the smaller cap, the
/// models both allow), and its weight under weighted fair queuing; a null limit is unlimited.
/// </summary>
public sealed record TenantLimits : RequestLimits
{
    /// <summary>The tenant's share of a saturated model; null: each key's own weight.</summary>
    public double? Weight { get; init; }

    /// <summary>The field that takes the allowed models (a list of names, not a number).</summary>
    public const string ModelsField = "models";

    /// <summary>The settable numeric fields by name, as <c>tenants set</c> options (with dashes) and admin API fields take them.</summary>
    public static IReadOnlyList<string> NumberFields { get; } = ["rpm", "tpm", "tokens_per_day", "max_concurrent", "max_context", "max_tokens", "weight"];

    /// <summary>Every settable field: <see cref="NumberFields"/> and <see cref="ModelsField"/>.</summary>
    public static IReadOnlyList<string> Fields { get; } = [.. NumberFields, ModelsField];

    /// <summary>
    /// These limits with the numeric field <paramref name="name"/> (one of <see cref="NumberFields"/>) set to <paramref name="value"/>,
    /// or cleared when it is null; a count that is not a positive whole number is an <see cref="ArgumentException"/>.
    /// </summary>
    public TenantLimits With(string name, double? value) => name switch
    {
        "rpm" => this with { RequestsPerMinute = (int?)Whole(value, name, int.MaxValue) },
        "tpm" => this with { TokensPerMinute = (int?)Whole(value, name, int.MaxValue) },
        "tokens_per_day" => this with { TokensPerDay = Whole(value, name, long.MaxValue / 2) },
        "max_concurrent" => this with { MaxConcurrent = (int?)Whole(value, name, int.MaxValue) },
        "max_context" => this with { MaxContext = (int?)Whole(value, name, int.MaxValue) },
        "max_tokens" => this with { MaxTokens = (int?)Whole(value, name, int.MaxValue) },
        "weight" => this with { Weight = value },
        _ => throw new ArgumentException($"unknown numeric tenant limit '{name}'; known: {string.Join(", ", NumberFields)}"),
    };

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (Weight is { } w) PositiveWeight(w);
    }

    private static long? Whole(double? value, string name, long max) => value is not { } v ? null
        : v >= 1 && v <= max && v == Math.Floor(v) ? (long)v
        : throw new ArgumentException($"{name} must be a whole number from 1 to {max}, got {v}");
}

/// <summary>A tenant as stored: its name and its own limits.</summary>
/// <param name="Name">The tenant, as keys name it.</param>
/// <param name="Limits">Its limits.</param>
/// <param name="Updated">When its limits last changed.</param>
public sealed record TenantRecord(string Name, TenantLimits Limits, DateTimeOffset Updated);
