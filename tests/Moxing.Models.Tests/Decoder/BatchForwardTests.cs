using Moxing.Core;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Tests;

namespace Moxing.Models.Tests.Decoder;

/// <summary>
/// A batched step over several sequences gives each sequence the logits it gets alone: mixed prefill and decode slices,
/// shared prefix blocks, rewinds; bad input fails before any sequence changes.
/// </summary>
public sealed class BatchForwardTests : IDisposable
{
    private readonly LoadedModel _loaded = ModelLoader.Load(Fixtures.Path("gguf", "qwen2-tiny.Q4_K_M.gguf"));
    private DecoderModel Model => _loaded.RequireDecoder();
    private int Vocab => Model.Options.VocabSize;

    public void Dispose() => _loaded.Dispose();

    private float[] Alone(DType type, params int[][] chunks) => DecoderChecks.Alone(Model, type, chunks);

    [Theory]
    [InlineData(DType.F16)]
    [InlineData(DType.F32)]
    public void MixedPrefillAndDecodeBatchMatchesEachSequenceAlone(DType type) => DecoderChecks.MixedBatchMatchesEachSequenceAlone(Model, 1e-5, type);

    [Fact]
    public void SharedPrefixBlocksGiveTheSameLogitsAndAreCopiedBeforeAWrite()
    {
        var pool = Model.CreateBlockPool(16L << 20);
        var scratch = Model.CreateScratch(64);
        var prompt = DecoderChecks.Ids(40, 4, Vocab);
        using var owner = new SequenceKv(pool, 100);
        var logits = new float[2 * Vocab];
        Model.Forward(prompt, owner, scratch, logits, allLogits: false);
        Assert.Equal(2, owner.FullBlockCount);

        // A second sequence reuses the 32 positions of the two full blocks and prefills only the rest.
        using var reuser = new SequenceKv(pool, 100);
        reuser.AttachPrefix(owner.Blocks[..2]);
        Assert.Equal(2, pool.RefCount(owner.Blocks[0]));
        Model.Forward(prompt.AsSpan(32), reuser, scratch, logits, allLogits: false);
        DecoderChecks.AssertClose(Alone(DType.F16, prompt).AsSpan(39 * Vocab), logits.AsSpan(0, Vocab), 1e-5, "reused prefix");
        Assert.Equal(owner.Blocks[1], reuser.Blocks[1]);

        // Rewinding into the shared second block and writing other tokens copies it; the owner's keys stay intact.
        reuser.Truncate(20);
        var other = DecoderChecks.Ids(6, 5, Vocab);
        var free = pool.FreeBlockCount;
        Assert.Equal(1, reuser.BlocksNeeded(other.Length));
        Model.Forward(other, reuser, scratch, logits, allLogits: false);
        Assert.NotEqual(owner.Blocks[1], reuser.Blocks[1]);
        Assert.Equal(free - 1, pool.FreeBlockCount);
        DecoderChecks.AssertClose(Alone(DType.F16, prompt[..20], other).AsSpan(5 * Vocab), logits.AsSpan(0, Vocab), 1e-5, "after copy on write");

        int[] next = [3];
        BatchSlice[] both = [new(owner, next), new(reuser, next)];
        Model.ForwardBatch(both, scratch, logits);
        DecoderChecks.AssertClose(Alone(DType.F16, prompt, next), logits.AsSpan(0, Vocab), 1e-5, "owner after the reuser wrote");
        DecoderChecks.AssertClose(Alone(DType.F16, prompt[..20], other, next), logits.AsSpan(Vocab, Vocab), 1e-5, "reuser");
    }

    [Fact]
    public void RewindAndRefeedEqualsAFreshSequence()
    {
        var pool = Model.CreateBlockPool(16L << 20);
        var scratch = Model.CreateScratch(64);
        using var sequence = new SequenceKv(pool, 100);
        var logits = new float[Vocab];
        Model.Forward(DecoderChecks.Ids(37, 6, Vocab), sequence, scratch, logits, allLogits: false);
        var free = pool.FreeBlockCount;
        sequence.Truncate(10);
        Assert.Equal(free + 2, pool.FreeBlockCount);
        var rest = DecoderChecks.Ids(9, 7, Vocab);
        Model.Forward(rest, sequence, scratch, logits, allLogits: false);
        DecoderChecks.AssertClose(Alone(DType.F16, DecoderChecks.Ids(37, 6, Vocab)[..10], rest).AsSpan(8 * Vocab), logits, 1e-5, "rewound");
        sequence.Release();
        Assert.Equal(pool.BlockCount, pool.FreeBlockCount);
    }

    [Fact]
    public void BadInputThrowsOurExceptionsAndChangesNothing()
    {
        var pool = KvBlockPool.ForPositions(Model.Options, DType.F16, 48);
        var scratch = Model.CreateScratch(64);
        using SequenceKv a = new(pool, 40), b = new(pool, 40);
        var logits = new float[2 * Vocab];
        Model.Forward(DecoderChecks.Ids(20, 8, Vocab), a, scratch, logits, allLogits: false);
        int[] good = [1], bad = [Vocab];

        var e = Assert.Throws<MoxingException>(() => Model.ForwardBatch([new(a, good), new(b, bad)], scratch, logits));
        Assert.Contains($"token id {Vocab} is out of range", e.Message);
        e = Assert.Throws<MoxingException>(() => Model.ForwardBatch([new(a, DecoderChecks.Ids(21, 9, Vocab))], scratch, logits));
        Assert.Contains("exceed the context of 40", e.Message);
        // Three blocks in all: A holds two, B's 20 tokens need two more. A's decode must not keep its reservation.
        var full = Assert.Throws<KvPoolExhaustedException>(() => Model.ForwardBatch([new(a, DecoderChecks.Ids(13, 10, Vocab)), new(b, DecoderChecks.Ids(20, 11, Vocab))], scratch, logits));
        Assert.Contains("KV cache is full", full.Message);
        Assert.Throws<ArgumentException>(() => Model.ForwardBatch([new(a, good), new(a, good)], scratch, logits));
        Assert.Throws<ArgumentException>(() => Model.ForwardBatch([new(a, good), new(b, good)], scratch, new float[Vocab]));

        Assert.Equal((20, 0), (a.Length, b.Length));
        Assert.Equal(pool.BlockCount - 2, pool.FreeBlockCount);
        Model.ForwardBatch([new(a, good), new(b, good)], scratch, logits);
        Assert.Equal((21, 1), (a.Length, b.Length));
    }

    [Fact]
    public void BatchedDecodeAllocatesNothingPerStep()
    {
        var pool = Model.CreateBlockPool(16L << 20);
        var scratch = Model.CreateScratch(16);
        var sequences = new SequenceKv[4];
        var slices = new BatchSlice[4];
        var token = new int[4][];
        for (var i = 0; i < 4; i++)
        {
            sequences[i] = new SequenceKv(pool, 300);
            token[i] = [i + 1];
            slices[i] = new BatchSlice(sequences[i], token[i]);
        }
        var logits = new float[4 * Vocab];
        long Allocated(int steps)
        {
            foreach (var s in sequences) s.Release();
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var step = 0; step < steps; step++) Model.ForwardBatch(slices, scratch, logits);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        for (var warm = 0; warm < 3; warm++) Allocated(250);
        var shortRun = Allocated(10);
        var longRun = Allocated(250);
        Assert.True(longRun <= shortRun, $"240 more steps allocated {longRun - shortRun} more bytes");
    }
}
