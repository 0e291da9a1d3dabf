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

    /// <summary>Takes <paramref name="units"/> at <paramref name="now"/> (ticks); null when taken, else how long until they would fit.</summary>
    public TimeSpan? TryTake(double units, long now)
    {
        var arrival = Math.Max(_arrival, now) + units * _ticksPerUnit;
        var excess = arrival - period.Ticks - now;
        if (excess > 0) return TimeSpan.FromTicks((long)Math.Ceiling(excess));
        _arrival = arrival;
        return null;
    }

    /// <summary>True when at least one unit fits now; otherwise <paramref name="retryAfter"/> says when it will.</summary>
    public bool HasRoom(long now, out TimeSpan retryAfter)
    {
        var excess = Math.Max(_arrival, now) + _ticksPerUnit - period.Ticks - now;
        retryAfter = TimeSpan.FromTicks(Math.Max(0, (long)Math.Ceiling(excess)));
        return excess <= 0;
    }

    /// <summary>Adds <paramref name="units"/> without a check (negative: gives units back).</summary>
    public void Adjust(double units) => _arrival += units * _ticksPerUnit;
}
