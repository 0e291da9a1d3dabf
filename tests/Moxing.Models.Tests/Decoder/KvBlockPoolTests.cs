using Moxing.Core;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;

namespace Moxing.Models.Tests.Decoder;

public sealed class KvBlockPoolTests
{
    private static readonly DecoderOptions Shape = new()
    {
        Architecture = "llama",
        VocabSize = 10,
        HiddenSize = 256,
        LayerCount = 3,
        HeadCount = 4,
        KvHeadCount = 2,
        HeadDim = 64,
        IntermediateSize = 8,
        MaxContext = 64,
    };

    [Fact]
    public void BlocksHoldEveryLayerAndHeadInTheCacheType()
    {
        var f32 = KvBlockPool.ForPositions(Shape, DType.F32, 32);
        var f16 = KvBlockPool.ForPositions(Shape, DType.F16, 32);
        var q8 = KvBlockPool.ForPositions(Shape, DType.Q8_0, 32);
        Assert.Equal(2L * 3 * 2 * 16 * 64 * 4, f32.BytesPerBlock);
        Assert.Equal(f32.Bytes / 2, f16.Bytes);
        Assert.Equal(2L * 3 * 2 * 16 * 2 * 34, q8.BytesPerBlock);
        Assert.Equal(2, f16.BlockCount);
        Assert.Equal(16 * 128, f16.Keys(1, 2, 1).Length);
    }

    // DeepSeek's MLA: keys 96 wide, values 64; every head's rows of both kinds are distinct bytes of the block, none shared.
    [Fact]
    public void ValuesNarrowerThanKeysHaveRowsOfTheirOwnWidth()
    {
        var pool = KvBlockPool.ForPositions(Shape with { HeadDim = 96, ValueHeadDim = 64 }, DType.F32, 16);
        Assert.Equal((96 * 4, 64 * 4), (pool.RowBytes, pool.ValueRowBytes));
        Assert.Equal(3L * 2 * 16 * (96 + 64) * 4, pool.BytesPerBlock);
        var block = pool.Allocate();
        byte mark = 0;
        for (var layer = 0; layer < 3; layer++)
            for (var head = 0; head < 2; head++)
            {
                pool.Keys(block, layer, head).Fill(++mark);
                pool.Values(block, layer, head).Fill(++mark);
            }
        mark = 0;
        for (var layer = 0; layer < 3; layer++)
            for (var head = 0; head < 2; head++)
            {
                var (key, value) = (++mark, ++mark);
                Assert.Equal(16 * 96 * 4, pool.Keys(block, layer, head).Length);
                Assert.All(pool.Keys(block, layer, head).ToArray(), b => Assert.Equal(key, b));
                Assert.Equal(16 * 64 * 4, pool.Values(block, layer, head).Length);
                Assert.All(pool.Values(block, layer, head).ToArray(), b => Assert.Equal(value, b));
            }
    }

    // Per-layer shapes compose with MLA's latent: a layer whose values are the front of its key rows stores no value rows, beside
    // layers of other head counts and widths whose rows are all distinct bytes of the block.
    [Fact]
    public void ALatentLayerIsOneMoreLayerShape()
    {
        KvLayerShape[] shapes = [new(2, 8, 8), new(1, 12, 8, ValuesInKeys: true), new(1, 16, 16)];
        var pool = new KvBlockPool(shapes, DType.F32, 1);
        Assert.Equal(16L * 4 * (2 * (8 + 8) + 12 + (16 + 16)), pool.BytesPerBlock);
        Assert.Equal((12 * 4, 12 * 4), (pool.RowBytesOf(1), pool.ValueRowBytesOf(1)));
        var block = pool.Allocate();
        byte mark = 0;
        foreach (var (layer, heads) in new[] { (0, 2), (1, 1), (2, 1) })
            for (var head = 0; head < heads; head++)
            {
                pool.Keys(block, layer, head).Fill(++mark);
                if (layer != 1) pool.Values(block, layer, head).Fill(++mark);
            }
        Assert.All(pool.Values(block, 1, 0).ToArray(), b => Assert.Equal(5, b));
        Assert.All(pool.Keys(block, 2, 0).ToArray(), b => Assert.Equal(6, b));
        Assert.All(pool.Values(block, 2, 0).ToArray(), b => Assert.Equal(7, b));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KvBlockPool([new KvLayerShape(1, 8, 12, ValuesInKeys: true)], DType.F32, 1));
    }

    [Fact]
    public void BudgetAllocationAndReferenceCounts()
    {
        var pool = KvBlockPool.ForBudget(Shape, DType.F16, 5 * 2L * 3 * 2 * 16 * 128 + 100);
        Assert.Equal(5, pool.BlockCount);
        var a = pool.Allocate();
        var b = pool.Allocate();
        Assert.NotEqual(a, b);
        pool.Retain(a);
        Assert.Equal(2, pool.RefCount(a));
        pool.Release(a);
        pool.Release(b);
        Assert.Equal((1, 0, 4), (pool.RefCount(a), pool.RefCount(b), pool.FreeBlockCount));
        Assert.Throws<InvalidOperationException>(() => pool.Release(b));
        for (var i = 0; i < 4; i++) pool.Allocate();
        Assert.Throws<KvPoolExhaustedException>(() => pool.Allocate());
        Assert.False(pool.TryAllocate(out _));
    }

    [Fact]
    public void SequencesTakeBlocksAsTheyGrowAndReturnThem()
    {
        var pool = KvBlockPool.ForPositions(Shape, DType.F16, 64);
        using var sequence = new SequenceKv(pool, 40);
        Assert.Equal(2, sequence.BlocksNeeded(17));
        Assert.Equal(0, sequence.BlocksNeeded(0));
        var other = new SequenceKv(pool, 40);
        Assert.Throws<InvalidOperationException>(() => pool.Retain(3));
        var shared = pool.Allocate();
        other.AttachPrefix([shared]);
        Assert.Equal((16, 1, 2), (other.Length, other.FullBlockCount, pool.RefCount(shared)));
        Assert.Equal(1, other.BlocksNeeded(1));
        other.Truncate(5);
        Assert.Equal(1, other.BlocksNeeded(1)); // writing into the shared block copies it first
        pool.Release(shared);
        Assert.Equal(0, other.BlocksNeeded(1));
        Assert.Throws<InvalidOperationException>(() => other.AttachPrefix([shared]));
        Assert.Throws<MoxingException>(() => new SequenceKv(pool, 17).AttachPrefix([shared, shared]));
        other.Dispose();
        Assert.Equal(pool.BlockCount, pool.FreeBlockCount);
    }

    [Fact]
    public void UnsupportedCacheTypesAndShapesAreRejected()
    {
        Assert.Contains("F32, F16, Q8_0", Assert.Throws<MoxingException>(() => KvBlockPool.ForPositions(Shape, DType.Q4_K, 16)).Message);
        Assert.Contains("multiple of 32", Assert.Throws<MoxingException>(() => KvBlockPool.ForPositions(Shape with { HeadDim = 16 }, DType.Q8_0, 16)).Message);
        Assert.Contains("holds no block", Assert.Throws<MoxingException>(() => KvBlockPool.ForBudget(Shape, DType.F16, 1000)).Message);
    }
}
