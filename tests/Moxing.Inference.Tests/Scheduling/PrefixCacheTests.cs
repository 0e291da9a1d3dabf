using Moxing.Core.Tensors;
using Moxing.Inference.Scheduling;
using Moxing.Models.Decoder;

namespace Moxing.Inference.Tests.Scheduling;

public sealed class PrefixCacheTests
{
    private const int Size = 4;
    private readonly KvBlockPool _pool = new(layers: 1, kvHeads: 1, headDim: 32, DType.F32, blockCount: 8, blockSize: Size);

    // Publishes tokens block by block from the root, as a finished sequence would; returns its blocks.
    private int[] Publish(PrefixCache cache, int[] tokens)
    {
        var blocks = new int[tokens.Length / Size];
        var key = PrefixCache.Root;
        for (var i = 0; i < blocks.Length; i++)
        {
            blocks[i] = _pool.Allocate();
            Assert.Equal(PublishResult.Inserted, cache.Publish(key, tokens.AsSpan(i * Size, Size), blocks[i], out key));
        }
        foreach (var block in blocks) _pool.Release(block); // the sequence ends; only the cache holds them now
        return blocks;
    }

    [Fact]
    public void APromptMatchesTheLongestCachedPrefixOfWholeBlocks()
    {
        var cache = new PrefixCache(_pool, 8);
        int[] first = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        var blocks = Publish(cache, first);
        var found = new int[8];
        Assert.Equal(2, cache.Match([1, 2, 3, 4, 5, 6, 7, 8, 99, 10, 11, 12, 13], 3, found, out var key));
        Assert.Equal(blocks[..2], found[..2]);
        Assert.Equal(PrefixCache.Chain(PrefixCache.Chain(PrefixCache.Root, [1, 2, 3, 4]), [5, 6, 7, 8]), key);
        Assert.Equal(3, cache.Match(first, 3, found, out _));
        Assert.Equal(1, cache.Match(first, 1, found, out _)); // capped by the caller
        Assert.Equal(0, cache.Match([2, 1, 3, 4, 5, 6, 7, 8], 2, found, out key));
        Assert.Equal(PrefixCache.Root, key);
        // The same tokens after a different prefix are a different block.
        Assert.Equal(0, cache.Match([5, 6, 7, 8], 1, found, out _));
    }

    [Fact]
    public void EvictionTakesLeastRecentlyUsedTailsBeforeTheirPrefixes()
    {
        var cache = new PrefixCache(_pool, 8);
        var a = Publish(cache, [1, 1, 1, 1, 2, 2, 2, 2]);
        var b = Publish(cache, [3, 3, 3, 3, 4, 4, 4, 4]);
        Assert.Equal(4, cache.Count);
        Assert.Equal(4, _pool.FreeBlockCount);
        cache.Match([1, 1, 1, 1, 2, 2, 2, 2], 2, new int[2], out _); // a is now the most recently used
        Assert.Equal(1, cache.Evict(1));
        Assert.Equal(0, _pool.RefCount(b[1])); // b's tail went first
        Assert.Equal(1, _pool.RefCount(b[0]));
        Assert.Equal(2, cache.Evict(2));
        Assert.Equal(0, _pool.RefCount(b[0]));
        Assert.Equal(0, _pool.RefCount(a[1]));
        Assert.Equal(1, _pool.RefCount(a[0]));
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void BlocksASequenceStillHoldsAreNotEvicted()
    {
        var cache = new PrefixCache(_pool, 8);
        var blocks = Publish(cache, [1, 2, 3, 4]);
        _pool.Retain(blocks[0]); // a running sequence attached it
        Assert.Equal(0, cache.Evict(1));
        Assert.Equal(0, cache.CacheOnlyCount());
        _pool.Release(blocks[0]);
        Assert.Equal(1, cache.CacheOnlyCount());
        Assert.Equal(1, cache.Evict(1));
        Assert.Equal(8, _pool.FreeBlockCount);
    }

    [Fact]
    public void APrefixWhoseTailASequenceHoldsIsEvictedLastAndItsTailDetached()
    {
        var cache = new PrefixCache(_pool, 8);
        int[] tokens = [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3];
        var blocks = Publish(cache, tokens);
        var other = Publish(cache, [5, 5, 5, 5]);
        // a running sequence holds the tail: its prefix is held by the cache alone, yet has a tail
        _pool.Retain(blocks[2]);
        Assert.Equal(3, cache.CacheOnlyCount());
        Assert.Equal(1, cache.Evict(1));
        Assert.Equal(0, _pool.RefCount(other[0])); // a plain tail first
        Assert.Equal(2, cache.Evict(5));
        Assert.Equal(0, _pool.RefCount(blocks[0]));
        Assert.Equal(0, _pool.RefCount(blocks[1]));
        Assert.Equal(2, _pool.RefCount(blocks[2])); // still cached, but no prompt reaches it
        Assert.Equal(0, cache.Match(tokens, 3, new int[3], out _));
        var parent = PrefixCache.Chain(PrefixCache.Chain(PrefixCache.Root, [1, 1, 1, 1]), [2, 2, 2, 2]);
        var block = _pool.Allocate();
        Assert.Equal(PublishResult.Rejected, cache.Publish(parent, [3, 3, 3, 3], block, out _));
        // once the sequence lets go, the detached tail is evicted like any other
        _pool.Release(blocks[2]);
        Assert.Equal(1, cache.Evict(1));
        Assert.Equal(0, cache.Count);
        _pool.Release(block);
        Assert.Equal(8, _pool.FreeBlockCount);
    }

    [Fact]
    public void ABlockWhosePrefixIsGoneIsNotCached()
    {
        var cache = new PrefixCache(_pool, 8);
        var block = _pool.Allocate();
        var orphanParent = PrefixCache.Chain(PrefixCache.Root, [9, 9, 9, 9]);
        Assert.Equal(PublishResult.Rejected, cache.Publish(orphanParent, [1, 2, 3, 4], block, out _));
        Assert.Equal(PublishResult.Inserted, cache.Publish(PrefixCache.Root, [1, 2, 3, 4], block, out _));
        Assert.Equal(PublishResult.Present, cache.Publish(PrefixCache.Root, [1, 2, 3, 4], block, out _));
        Assert.Equal(2, _pool.RefCount(block));
        cache.Clear();
        Assert.Equal(1, _pool.RefCount(block));
    }
}
