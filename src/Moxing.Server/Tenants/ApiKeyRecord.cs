using Moxing.Server.Metering;

namespace Moxing.Server.Tenants;

/// <summary>An API key as stored: never its secret, only who it belongs to, its limits and its life.</summary>
/// <param name="Id">Public id (the part of the key before its secret), shown in lists and usage.</param>
/// <param name="Tenant">The tenant the key acts for.</param>
/// <param name="Limits">What the key may do.</param>
/// <param name="Admin">May manage keys and read all usage over the admin API.</param>
/// <param name="Created">When it was made.</param>
/// <param name="Expires">When it stops working; null: never.</param>
/// <param name="Revoked">When it was revoked; null: not revoked.</param>
public sealed record ApiKeyRecord(string Id, string Tenant, KeyLimits Limits, bool Admin, DateTimeOffset Created,
    DateTimeOffset? Expires, DateTimeOffset? Revoked)
{
    /// <summary>Its tenant's own limits, shared by all the tenant's keys, as read with the key; null: the tenant has none.</summary>
    public TenantLimits? TenantLimits { get; init; }

    /// <summary>Its share of a saturated model: the tenant's weight when the tenant sets one, else the key's.</summary>
    public double Weight => TenantLimits?.Weight ?? Limits.Weight;

    /// <summary>Whose limits a request of this key must fit: the key's own, then its tenant's when the tenant has its own.</summary>
    public IReadOnlyList<LimitOwner> Owners
    {
        get
        {
            var own = new LimitOwner("key " + Id, $"the API key {Id}", Limits, new UsageQuery(KeyId: Id));
            return TenantLimits is { } tenant ? [own, new LimitOwner("tenant " + Tenant, $"the tenant '{Tenant}'", tenant, new UsageQuery(Tenant: Tenant))] : [own];
        }
    }

    /// <summary>The smallest cap that <paramref name="cap"/> reads from the owners' limits, and whose it is; null when none has one.</summary>
    public (int Cap, string Who)? Strictest(Func<RequestLimits, int?> cap)
    {
        (int Cap, string Who)? strictest = null;
        foreach (var owner in Owners)
            if (cap(owner.Limits) is { } c && (strictest is null || c < strictest.Value.Cap)) strictest = (c, owner.Who);
        return strictest;
    }

    /// <summary>The first owner whose limits do not allow <paramref name="model"/>; null when every one does.</summary>
    public LimitOwner? RefusingModel(string model) => Owners.FirstOrDefault(o => !o.Limits.AllowsModel(model));

    /// <summary>The key works at <paramref name="now"/>.</summary>
    public bool IsActive(DateTimeOffset now) => Revoked == null && (Expires == null || now < Expires);
}

/// <summary>One holder of limits a request must fit: a key or a tenant.</summary>
/// <param name="Id">Its id among the limiter's states ("key ID", "tenant T").</param>
/// <param name="Who">How refusals name it: "the API key ID" or "the tenant 'T'".</param>
/// <param name="Limits">Its limits.</param>
/// <param name="Spending">The usage rows that count against its tokens per day.</param>
public sealed record LimitOwner(string Id, string Who, RequestLimits Limits, UsageQuery Spending);

/// <summary>A key just created: its record and the full key, which is shown this once and never stored.</summary>
/// <param name="Record">The stored record.</param>
/// <param name="Key">The full key to give the user.</param>
public sealed record CreatedApiKey(ApiKeyRecord Record, string Key);

/// <summary>Why a presented key was accepted or refused.</summary>
public enum KeyCheck
{
    /// <summary>Valid and active.</summary>
    Valid,
    /// <summary>No key was presented.</summary>
    Missing,
    /// <summary>Malformed, unknown, or the secret does not match.</summary>
    Invalid,
    /// <summary>Revoked.</summary>
    Revoked,
    /// <summary>Past its expiry.</summary>
    Expired,
}
