using Moxing.Inference.Scheduling;

namespace Moxing.Inference.Tests.Scheduling;

public sealed class TenantQueueTests
{
    private static List<string> Drain(TenantQueue<string> queue)
    {
        var order = new List<string>();
        while (queue.TryDequeue(out var item)) order.Add(item);
        return order;
    }

    [Fact]
    public void TenantsTakeTurnsAndPriorityThenArrivalOrdersWithinATenant()
    {
        var queue = new TenantQueue<string>();
        queue.Enqueue("a", "a1", 0);
        queue.Enqueue("a", "a2", 0);
        queue.Enqueue("a", "a3", 5);
        queue.Enqueue("b", "b1", 0);
        queue.Enqueue("c", "c1", 0);
        queue.Enqueue("b", "b2", 0);
        Assert.Equal(6, queue.Count);
        Assert.True(queue.TryPeek(out var head));
        Assert.Equal("a3", head);
        Assert.Equal(["a3", "b1", "c1", "a1", "b2", "a2"], Drain(queue));
        Assert.Equal(0, queue.Count);
        Assert.False(queue.TryPeek(out _));
    }

    [Fact]
    public void RemovingATenantsLastItemDropsItsTurn()
    {
        var queue = new TenantQueue<string>();
        queue.Enqueue("a", "a1", 0);
        queue.Enqueue("b", "b1", 0);
        queue.Enqueue("c", "c1", 0);
        queue.Enqueue("a", "a2", 0);
        Assert.True(queue.Remove("b", "b1"));
        Assert.False(queue.Remove("b", "b1"));
        Assert.True(queue.Remove("a", "a1"));
        Assert.Equal(2, queue.Count);
        Assert.Equal(["a2", "c1"], Drain(queue));
    }
}
