namespace Moxing.Inference.Scheduling;

/// <summary>
/// Waiting requests under weighted fair queuing by tenant: each backlogged tenant carries a virtual finish time that grows
/// by 1/weight per admission, and the tenant with the smallest one goes next, so under saturation a tenant of weight 2 is
/// admitted twice as often as one of weight 1 and a tenant that floods the queue cannot starve another. Within a tenant,
/// higher priority goes first, then arrival. Items put back at the front (preempted requests) go before every tenant's turn.
/// Not thread-safe.
/// </summary>
internal sealed class TenantQueue<T> where T : class
{
    private sealed class Tenant(string name)
    {
        public string Name { get; } = name;
        public PriorityQueue<T, (int Priority, long Order)> Items { get; } = new();
        public double Weight { get; set; } = 1;
        public double Finish { get; set; }
    }

    private readonly Dictionary<string, Tenant> _byTenant = new(StringComparer.Ordinal);
    // Backlogged tenants by virtual finish time, ties by when they became backlogged.
    private readonly PriorityQueue<Tenant, (double Finish, long Order)> _turns = new();
    // Items put back ahead of every turn, by the order their owner gave.
    private readonly PriorityQueue<T, long> _front = new();
    private double _virtualTime;
    private long _order;

    /// <summary>Items queued over all tenants.</summary>
    public int Count { get; private set; }

    /// <summary>
    /// Queues <paramref name="item"/> for <paramref name="tenant"/>; higher <paramref name="priority"/> goes first within the tenant,
    /// and <paramref name="weight"/> (positive; the latest given wins) is the tenant's share of admissions.
    /// </summary>
    public void Enqueue(string tenant, T item, int priority, double weight = 1)
    {
        if (!(weight > 0 && double.IsFinite(weight))) throw new ArgumentOutOfRangeException(nameof(weight), weight, "a tenant's weight must be a positive number");
        if (!_byTenant.TryGetValue(tenant, out var t))
        {
            // A newly backlogged tenant starts one share after now: it neither jumps ahead of nor lags behind the others.
            _byTenant[tenant] = t = new Tenant(tenant) { Weight = weight, Finish = _virtualTime + 1 / weight };
            _turns.Enqueue(t, (t.Finish, _order));
        }
        t.Weight = weight;
        // Negated so that the min-heap yields the highest priority first, then the earliest arrival.
        t.Items.Enqueue(item, (-priority, _order++));
        Count++;
    }

    /// <summary>
    /// Puts <paramref name="item"/> back ahead of every tenant's turn (a preempted request resuming); such items go first, lowest
    /// <paramref name="order"/> first, and taking them charges no tenant a share.
    /// </summary>
    public void EnqueueFront(T item, long order)
    {
        _front.Enqueue(item, order);
        Count++;
    }

    /// <summary>The item whose turn it is, without taking it.</summary>
    public bool TryPeek(out T item)
    {
        if (_front.TryPeek(out item!, out _)) return true;
        if (!_turns.TryPeek(out var t, out _))
        {
            item = null!;
            return false;
        }
        item = t.Items.Peek();
        return true;
    }

    /// <summary>Takes the item whose turn it is and advances its tenant's virtual finish time by 1/weight (an item put back at the front advances none).</summary>
    public bool TryDequeue(out T item)
    {
        if (_front.TryDequeue(out item!, out _))
        {
            Count--;
            return true;
        }
        if (!_turns.TryDequeue(out var t, out var key))
        {
            item = null!;
            return false;
        }
        item = t.Items.Dequeue();
        Count--;
        _virtualTime = Math.Max(_virtualTime, t.Finish);
        if (t.Items.Count > 0)
        {
            t.Finish += 1 / t.Weight;
            _turns.Enqueue(t, (t.Finish, key.Order));
        }
        else _byTenant.Remove(t.Name);
        return true;
    }

    /// <summary>Removes <paramref name="item"/> of <paramref name="tenant"/> (a cancelled request); false if it is not queued.</summary>
    public bool Remove(string tenant, T item)
    {
        if (_front.Remove(item, out _, out _, ReferenceEqualityComparer.Instance))
        {
            Count--;
            return true;
        }
        if (!_byTenant.TryGetValue(tenant, out var t) || !t.Items.Remove(item, out _, out _, ReferenceEqualityComparer.Instance))
            return false;
        Count--;
        if (t.Items.Count > 0) return true;
        _byTenant.Remove(tenant);
        _turns.Remove(t, out _, out _, ReferenceEqualityComparer.Instance);
        return true;
    }
}
