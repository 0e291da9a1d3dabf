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

    private static int[] Ids(int count, int seed, int vocab)
    {
        var random = new Random(seed);
        var ids = new int[count];
        for (var i = 0; i < count; i++) ids[i] = random.Next(vocab);
        return ids;
    }

    private float[] Alone(DType type, params int[][] chunks) => SequenceRuns.Alone(Model, type, chunks);

    [Theory]
    [InlineData(DType.F16)]
    [InlineData(DType.F32)]
    public void MixedPrefillAndDecodeBatchMatchesEachSequenceAlone(DType type)
    {
        var pool = Model.CreateBlockPool(64L << 20, type);
        var scratch = Model.CreateScratch(64);
        int[] promptA = Ids(21, 1, Vocab), promptB = Ids(5, 2, Vocab), promptC = Ids(17, 3, Vocab);
        using SequenceKv a = new(pool, 100), b = new(pool, 100), c = new(pool, 100);
        var first = new float[Vocab];
        Model.Forward(promptA, a, scratch, first, allLogits: false);

        // A decodes one token, B prefills its prompt (last logits), C prefills wanting every row.
        int[] nextA = [7];
        BatchSlice[] slices = [new(a, nextA), new(b, promptB), new(c, promptC, LogitsWanted.All)];
        var logits = new float[(1 + 1 + promptC.Length) * Vocab];
        Assert.Equal(2 + promptC.Length, Model.ForwardBatch(slices, scratch, logits));
        Assert.Equal((22, 5, 17), (a.Length, b.Length, c.Length));

        SequenceRuns.AssertClose(Alone(type, promptA, nextA), logits.AsSpan(0, Vocab), "A decoding");
        SequenceRuns.AssertClose(Alone(type, promptB).AsSpan((promptB.Length - 1) * Vocab), logits.AsSpan(Vocab, Vocab), "B prefilling");
        SequenceRuns.AssertClose(Alone(type, promptC), logits.AsSpan(2 * Vocab), "C prefilling, every row");

        // A second step: all three decode, A's slice wanting nothing.
        int[] nextB = [11], nextC = [13];
        slices = [new(a, nextA, LogitsWanted.None), new(b, nextB), new(c, nextC)];
        Assert.Equal(2, Model.ForwardBatch(slices, scratch, logits));
        SequenceRuns.AssertClose(Alone(type, promptB, nextB), logits.AsSpan(0, Vocab), "B decoding");
        SequenceRuns.AssertClose(Alone(type, promptC, nextC), logits.AsSpan(Vocab, Vocab), "C decoding");
        Assert.Equal(23, a.Length);
    }

    [Fact]
    public void SharedPrefixBlocksGiveTheSameLogitsAndAreCopiedBeforeAWrite()
    {
        var pool = Model.CreateBlockPool(16L << 20);
        var scratch = Model.CreateScratch(64);
        var prompt = Ids(40, 4, Vocab);
        using var owner = new SequenceKv(pool, 100);
        var logits = new float[2 * Vocab];
        Model.Forward(prompt, owner, scratch, logits, allLogits: false);
        Assert.Equal(2, owner.FullBlockCount);

        // A second sequence reuses the 32 positions of the two full blocks and prefills only the rest.
        using var reuser = new SequenceKv(pool, 100);
        reuser.AttachPrefix(owner.Blocks[..2]);
        Assert.Equal(2, pool.RefCount(owner.Blocks[0]));
        Model.Forward(prompt.AsSpan(32), reuser, scratch, logits, allLogits: false);
        SequenceRuns.AssertClose(Alone(DType.F16, prompt).AsSpan(39 * Vocab), logits.AsSpan(0, Vocab), "reused prefix");
        Assert.Equal(owner.Blocks[1], reuser.Blocks[1]);

        // Rewinding into the shared second block and writing other tokens copies it; the owner's keys stay intact.
        reuser.Truncate(20);
        var other = Ids(6, 5, Vocab);
        var free = pool.FreeBlockCount;
        Assert.Equal(1, reuser.BlocksNeeded(other.Length));
        Model.Forward(other, reuser, scratch, logits, allLogits: false);
        Assert.NotEqual(owner.Blocks[1], reuser.Blocks[1]);
        Assert.Equal(free - 1, pool.FreeBlockCount);
        SequenceRuns.AssertClose(Alone(DType.F16, prompt[..20], other).AsSpan(5 * Vocab), logits.AsSpan(0, Vocab), "after copy on write");

        int[] next = [3];
        BatchSlice[] both = [new(owner, next), new(reuser, next)];
        Model.ForwardBatch(both, scratch, logits);
        SequenceRuns.AssertClose(Alone(DType.F16, prompt, next), logits.AsSpan(0, Vocab), "owner after the reuser wrote");
        SequenceRuns.AssertClose(Alone(DType.F16, prompt[..20], other, next), logits.AsSpan(Vocab, Vocab), "reuser");
    }

    [Fact]
    public void RewindAndRefeedEqualsAFreshSequence()
    {
        var pool = Model.CreateBlockPool(16L << 20);
        var scratch = Model.CreateScratch(64);
        using var sequence = new SequenceKv(pool, 100);
        var logits = new float[Vocab];
        Model.Forward(Ids(37, 6, Vocab), sequence, scratch, logits, allLogits: false);
        var free = pool.FreeBlockCount;
        sequence.Truncate(10);
        Assert.Equal(free + 2, pool.FreeBlockCount);
        var rest = Ids(9, 7, Vocab);
        Model.Forward(rest, sequence, scratch, logits, allLogits: false);
        SequenceRuns.AssertClose(Alone(DType.F16, Ids(37, 6, Vocab)[..10], rest).AsSpan(8 * Vocab), logits, "rewound");
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
        Model.Forward(Ids(20, 8, Vocab), a, scratch, logits, allLogits: false);
        int[] good = [1], bad = [Vocab];

        var e = Assert.Throws<MoxingException>(() => Model.ForwardBatch([new(a, good), new(b, bad)], scratch, logits));
        Assert.Contains($"token id {Vocab} is out of range", e.Message);
        e = Assert.Throws<MoxingException>(() => Model.ForwardBatch([new(a, Ids(21, 9, Vocab))], scratch, logits));
        Assert.Contains("exceed the context of 40", e.Message);
        // Three blocks in all: A holds two, B's 20 tokens need two more. A's decode must not keep its reservation.
        var full = Assert.Throws<KvPoolExhaustedException>(() => Model.ForwardBatch([new(a, Ids(13, 10, Vocab)), new(b, Ids(20, 11, Vocab))], scratch, logits));
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
