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

    [Fact]
    public void ItemsPutBackAtTheFrontGoFirstInTheirOrderAndChargeNoTenant()
    {
        var queue = new TenantQueue<string>();
        queue.Enqueue("a", "a1", 0);
        queue.Enqueue("b", "b1", 0);
        queue.Enqueue("a", "a2", 0);
        queue.EnqueueFront("p7", 7);
        queue.EnqueueFront("p3", 3);
        queue.EnqueueFront("gone", 1);
        Assert.Equal(6, queue.Count);
        Assert.True(queue.Remove("any", "gone"));
        Assert.True(queue.TryPeek(out var head));
        Assert.Equal("p3", head);
        // the tenants' turns are where they were: a, then b, then a
        Assert.Equal(["p3", "p7", "a1", "b1", "a2"], Drain(queue));
    }

    [Fact]
    public void UnderSaturationAdmissionsFollowTenantWeights()
    {
        var queue = new TenantQueue<string>();
        for (var i = 0; i < 100; i++)
        {
            queue.Enqueue("heavy", "h" + i, 0, weight: 2);
            queue.Enqueue("light", "l" + i, 0, weight: 1);
        }
        var first = new List<string>();
        for (var i = 0; i < 60; i++)
        {
            Assert.True(queue.TryDequeue(out var item));
            first.Add(item);
        }
        Assert.Equal(40, first.Count(x => x[0] == 'h'));
        Assert.Equal(20, first.Count(x => x[0] == 'l'));
    }

    [Fact]
    public void AFloodingTenantCannotStarveALaterArrival()
    {
        var queue = new TenantQueue<string>();
        for (var i = 0; i < 200; i++) queue.Enqueue("flood", "f" + i, 0);
        for (var i = 0; i < 50; i++) queue.TryDequeue(out _);
        for (var i = 0; i < 10; i++) queue.Enqueue("quiet", "q" + i, 0);
        // The quiet tenant's ten requests are all admitted within the next twenty: every other turn is theirs.
        var next = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            queue.TryDequeue(out var item);
            next.Add(item);
        }
        Assert.Equal(10, next.Count(x => x[0] == 'q'));
        Assert.Equal(140, queue.Count);
    }

    [Fact]
    public void NonPositiveWeightsAreRejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new TenantQueue<string>().Enqueue("a", "x", 0, weight: 0));
}
