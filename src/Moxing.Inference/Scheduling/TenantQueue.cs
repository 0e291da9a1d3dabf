namespace Moxing.Inference.Scheduling;

/// <summary>
/// Waiting requests, taken round-robin across tenants (so a tenant that floods the queue cannot starve another), and
/// within a tenant by priority, then arrival. Not thread-safe.
/// </summary>
internal sealed class TenantQueue<T> where T : class
{
    private readonly Dictionary<string, PriorityQueue<T, (int Priority, long Order)>> _byTenant = new(StringComparer.Ordinal);
    private readonly Queue<string> _turns = new();
    private long _order;

    /// <summary>Items queued over all tenants.</summary>
    public int Count { get; private set; }

    /// <summary>Queues <paramref name="item"/> for <paramref name="tenant"/>; higher <paramref name="priority"/> goes first within the tenant.</summary>
    public void Enqueue(string tenant, T item, int priority)
    {
        if (!_byTenant.TryGetValue(tenant, out var queue))
        {
            _byTenant[tenant] = queue = new PriorityQueue<T, (int, long)>();
            _turns.Enqueue(tenant);
        }
        // Negated so that the min-heap yields the highest priority first, then the earliest arrival.
        queue.Enqueue(item, (-priority, _order++));
        Count++;
    }

    /// <summary>The item whose turn it is, without taking it.</summary>
    public bool TryPeek(out T item)
    {
        if (_turns.Count == 0)
        {
            item = null!;
            return false;
        }
        item = _byTenant[_turns.Peek()].Peek();
        return true;
    }

    /// <summary>Takes the item whose turn it is and passes the turn to the next tenant.</summary>
    public bool TryDequeue(out T item)
    {
        if (_turns.Count == 0)
        {
            item = null!;
            return false;
        }
        var tenant = _turns.Dequeue();
        var queue = _byTenant[tenant];
        item = queue.Dequeue();
        Count--;
        if (queue.Count > 0) _turns.Enqueue(tenant);
        else _byTenant.Remove(tenant);
        return true;
    }

    /// <summary>Removes <paramref name="item"/> of <paramref name="tenant"/> (a cancelled request); false if it is not queued.</summary>
    public bool Remove(string tenant, T item)
    {
        if (!_byTenant.TryGetValue(tenant, out var queue) || !queue.Remove(item, out _, out _, ReferenceEqualityComparer.Instance))
            return false;
        Count--;
        if (queue.Count > 0) return true;
        _byTenant.Remove(tenant);
        for (var i = _turns.Count; i > 0; i--)
        {
            var t = _turns.Dequeue();
            if (t != tenant) _turns.Enqueue(t);
        }
        return true;
    }
}
