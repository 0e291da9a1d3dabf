namespace Moxing.Server.Tenants;

/// <summary>
/// A rate of <c>limit</c> units per <c>period</c> with bursts up to <c>limit</c>, kept as one theoretical arrival time (the
/// generic cell rate algorithm): O(1) state, an exact retry-after, and units can be given back (a settled token reservation).
/// Not thread-safe.
/// </summary>
internal sealed class RateBucket(double limit, TimeSpan period)
{
    private readonly double _ticksPerUnit = period.Ticks / limit;
    private double _arrival;

    /// <summary>True when the bucket holds its whole burst at <paramref name="now"/> (its state can be forgotten).</summary>
    public bool IsFull(long now) => _arrival <= now;

    /// <summary>Null when <paramref name="units"/> fit at <paramref name="now"/> (ticks), else how long until they would.</summary>
    public TimeSpan? Wait(double units, long now)
    {
        var excess = Math.Max(_arrival, now) + units * _ticksPerUnit - period.Ticks - now;
        return excess > 0 ? TimeSpan.FromTicks((long)Math.Ceiling(excess)) : null;
    }

    /// <summary>Takes <paramref name="units"/> at <paramref name="now"/> without a check (after <see cref="Wait"/> said they fit).</summary>
    public void Take(double units, long now) => _arrival = Math.Max(_arrival, now) + units * _ticksPerUnit;

    /// <summary>Adds <paramref name="units"/> without a check (negative: gives units back).</summary>
    public void Adjust(double units) => _arrival += units * _ticksPerUnit;
}
