using Moxing.Core.Tensors;
using Moxing.Inference.Scheduling;
using Moxing.Models.Decoder;

namespace Moxing.Inference.Tests.Scheduling;

/// <summary>The prefix cache's recurrent-state snapshots: found deepest first within a limit, restored with their blocks, evicted with them.</summary>
public sealed class PrefixCacheStateTests
{
    private const int Size = 4;
    private readonly KvBlockPool _pool = new(layers: 1, kvHeads: 1, headDim: 8, DType.F32, blockCount: 8, blockSize: Size, states: new RecurrentStatePool(3, 2));

    // Publishes tokens block by block from the root, as a finished sequence would; returns their keys (the pool blocks are the cache's alone).
    private ulong[] Publish(PrefixCache cache, int[] tokens)
    {
        var keys = new ulong[tokens.Length / Size];
        var key = PrefixCache.Root;
        for (var i = 0; i < keys.Length; i++)
        {
            var block = _pool.Allocate();
            Assert.Equal(PublishResult.Inserted, cache.Publish(key, tokens.AsSpan(i * Size, Size), block, out key));
            _pool.Release(block);
            keys[i] = key;
        }
        return keys;
    }

    // A sequence holding `tail` positions after the first cached `blocks` of `tokens`, with `state`; its partial block is its own.
    private SequenceKv Sequence(PrefixCache cache, int[] tokens, int blocks, int tail, float[] state)
    {
        var found = new int[blocks];
        Assert.Equal(blocks, cache.Match(tokens, blocks, found, out _));
        var kv = new SequenceKv(_pool, 32);
        var partial = _pool.Allocate();
        kv.AttachPrefix(found, partial, tail, state);
        _pool.Release(partial);
        return kv;
    }

    private StateSnapshot? Find(PrefixCache cache, int[] tokens, int maxPositions)
    {
        var blocks = new int[8];
        var keys = new ulong[8];
        var hits = cache.Match(tokens, maxPositions / Size, blocks, out _, keys);
        return cache.FindState(tokens, maxPositions, hits, keys);
    }

    [Fact]
    public void TheDeepestStateWithinTheLimitIsRestoredWithItsBlocksAndEvictedWithThem()
    {
        var cache = new PrefixCache(_pool, 8, stateSnapshots: 2);
        int[] tokens = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        var keys = Publish(cache, tokens[..8]);
        using (var kv = Sequence(cache, tokens, 1, 2, [1, 2, 3]))
            Assert.True(cache.AddState(keys[0], 1, tokens.AsSpan(4, 2), kv, shared: false));
        using (var kv = Sequence(cache, tokens, 1, 0, [4, 5, 6]))
            Assert.True(cache.AddState(keys[0], 1, [], kv, shared: false));
        Assert.Equal((2, 3), (cache.StateCount, cache.Count)); // two blocks and the partial one
        Assert.Equal(3, cache.CacheOnlyCount());

        Assert.Null(Find(cache, [1, 2, 3, 9, 5, 6], 5));
        Assert.Equal(4, Find(cache, [1, 2, 3, 4, 5, 9, 9], 6)!.Blocks * Size); // the tail differs: the aligned state at 4
        Assert.Equal(4, Find(cache, tokens, 5)!.Blocks * Size); // the tail's end is beyond the limit
        var state = Find(cache, tokens, 6)!;
        Assert.Equal([5, 6], state.Tail);
        using var restored = new SequenceKv(_pool, 32);
        var blocks = new int[1];
        cache.Match(tokens, 1, blocks, out _);
        cache.Restore(state, blocks, restored);
        Assert.Equal(6, restored.Length);
        Assert.Equal(state.TailBlock, restored.Blocks[1]);
        var copied = new float[3];
        restored.CopyStateTo(copied);
        Assert.Equal([1f, 2f, 3f], copied);
        Assert.Equal(1, cache.CacheOnlyCount()); // the first block and the partial one are shared now

        // the tail block and the partial one go first, then the first block with the aligned state anchored on it
        restored.Release();
        Assert.Equal(3, cache.Evict(4));
        Assert.Equal((0, 0, 8), (cache.StateCount, cache.Count, _pool.FreeBlockCount));
    }

    [Fact]
    public void ARestoredStateOutlivesABurstOfNewOnesAndClearGivesEverythingBack()
    {
        var cache = new PrefixCache(_pool, 8, stateSnapshots: 3);
        int[] tokens = [1, 2, 3, 4, 5, 6, 7, 8];
        var keys = Publish(cache, tokens);
        using (var kv = Sequence(cache, tokens, 1, 0, [7, 7, 7]))
            cache.AddState(keys[0], 1, [], kv, shared: false);
        Assert.NotNull(Find(cache, tokens, 7));
        for (var tail = 1; tail < Size; tail++)
            using (var kv = Sequence(cache, tokens, 1, tail, [tail, tail, tail]))
                cache.AddState(keys[0], 1, tokens.AsSpan(Size, tail), kv, shared: false);
        Assert.Equal(3, cache.StateCount);
        // the restored aligned state is still there beside the newest two
        Assert.Equal(4, Find(cache, [1, 2, 3, 4, 9, 9, 9, 9], 7)!.Blocks * Size);
        Assert.Equal(3, Find(cache, tokens, 7)!.Tail.Length);
        Assert.Equal(2, Find(cache, tokens, 6)!.Tail.Length);
        Assert.Empty(Find(cache, tokens, 5)!.Tail);
        cache.Clear();
        Assert.Equal((0, 0, 8), (cache.StateCount, cache.Count, _pool.FreeBlockCount));
        Assert.Equal(0, _pool.States!.HeldSlotCount);
    }
}
