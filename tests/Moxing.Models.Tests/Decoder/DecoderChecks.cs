using Moxing.Core.Formats.Gguf;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Tests;

namespace Moxing.Models.Tests.Decoder;

/// <summary>What the decoder tests of several architectures share: token ids, single-sequence runs, the mixed-batch check, file edits.</summary>
internal static class DecoderChecks
{
    /// <summary><paramref name="count"/> random token ids below <paramref name="vocab"/>.</summary>
    public static int[] Ids(int count, int seed, int vocab)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.Next(vocab)).ToArray();
    }

    /// <summary>A prompt (at least 7 ids) prefilled in chunks of 5, 1 and the rest, and token by token, gives the logits of one call
    /// within <paramref name="tolerance"/> (F32 cache): a model's recurrent state and KV cache carry across chunks and steps.</summary>
    public static void ChunksEqualOneCallEqualTokenByToken(DecoderModel model, int[] prompt, double tolerance = 1e-5)
    {
        var vocab = model.Options.VocabSize;
        var whole = Alone(model, DType.F32, prompt);
        AssertClose(whole.AsSpan(6 * vocab), Alone(model, DType.F32, prompt[..5], prompt[5..6], prompt[6..]), tolerance, "chunks of 5, 1, 7");
        AssertClose(whole.AsSpan((prompt.Length - 1) * vocab), Alone(model, DType.F32, [.. prompt.Select(id => new[] { id })]), tolerance, "token by token");
    }

    /// <summary>A prompt (more than 7 ids) prefilled after its first token, after its first seven, and token by token gives the
    /// bits of the same rows of one call, with a KV cache stored as <paramref name="kv"/>: what prefix reuse, a shared prefill
    /// budget and recompute after preemption rely on.</summary>
    public static void SplitsGiveTheBitsOfOneCall(DecoderModel model, int[] prompt, DType kv)
    {
        var vocab = model.Options.VocabSize;
        var whole = Alone(model, kv, prompt);
        foreach (var first in new[] { 1, 7 })
            AssertClose(whole.AsSpan(first * vocab), Alone(model, kv, prompt[..first], prompt[first..]), 0, $"{kv} cache, {first} + {prompt.Length - first} tokens");
        AssertClose(whole.AsSpan((prompt.Length - 1) * vocab), Alone(model, kv, [.. prompt.Select(id => new[] { id })]), 0, $"{kv} cache, token by token");
    }

    /// <summary>For each batch size: that many sequences, each prefilled alone with a prompt of its own, decode one token each in one
    /// step; every sequence's logits are the bits it gives decoding alone (KV cache stored as <paramref name="kv"/>).</summary>
    public static void DecodeBatchesGiveEachSequenceItsBits(DecoderModel model, DType kv, params int[] sizes)
    {
        var vocab = model.Options.VocabSize;
        var pool = model.CreateBlockPool(64L << 20, kv, sequences: sizes.Max());
        var scratch = model.CreateScratch(64);
        foreach (var size in sizes)
        {
            var prompts = Enumerable.Range(0, size).Select(i => Ids(3 + i % 5, 100 + i, vocab)).ToArray();
            var next = Enumerable.Range(0, size).Select(i => new[] { (7 * i + 1) % vocab }).ToArray();
            var sequences = prompts.Select(_ => new SequenceKv(pool, 16)).ToArray();
            try
            {
                for (var i = 0; i < size; i++) model.Forward(prompts[i], sequences[i], scratch, new float[vocab], allLogits: false);
                var logits = new float[size * vocab];
                Assert.Equal(size, model.ForwardBatch([.. sequences.Select((q, i) => new BatchSlice(q, next[i]))], scratch, logits));
                for (var i = 0; i < size; i++)
                    AssertClose(Alone(model, kv, prompts[i], next[i]), logits.AsSpan(i * vocab, vocab), 0, $"sequence {i} of a batch of {size}, {kv} cache");
            }
            finally
            {
                foreach (var sequence in sequences) sequence.Dispose();
            }
        }
    }

    /// <summary>The logits of every token of the last chunk, the chunks run one after another in a sequence of their own.</summary>
    public static float[] Alone(DecoderModel model, params int[][] chunks) => Alone(model, DType.F16, chunks);

    /// <summary>As <see cref="Alone(DecoderModel, int[][])"/> with a KV cache stored as <paramref name="kv"/>.</summary>
    public static float[] Alone(DecoderModel model, DType kv, params int[][] chunks)
    {
        var pool = KvBlockPool.ForPositions(model.Options, kv, 128);
        using var sequence = new SequenceKv(pool, 128);
        var scratch = model.CreateScratch(64);
        float[] logits = [];
        foreach (var chunk in chunks)
        {
            logits = new float[chunk.Length * model.Options.VocabSize];
            model.Forward(chunk, sequence, scratch, logits, allLogits: true);
        }
        return logits;
    }

    /// <summary>
    /// One step of a decoding sequence A and two prefilling ones (B's last logits, every row of C), then a step decoding B and
    /// C with A's logits not wanted: each sequence's logits as it gives them alone, within <paramref name="tolerance"/>
    /// (max|Δ|/max|ref|), with KV caches stored as <paramref name="kv"/>; every slice's tokens are appended.
    /// </summary>
    public static void MixedBatchMatchesEachSequenceAlone(DecoderModel model, double tolerance, DType kv = DType.F16)
    {
        var vocab = model.Options.VocabSize;
        var pool = model.CreateBlockPool(64L << 20, kv);
        var scratch = model.CreateScratch(64);
        int[] promptA = Ids(21, 1, vocab), promptB = Ids(5, 2, vocab), promptC = Ids(17, 3, vocab);
        using SequenceKv a = new(pool, 100), b = new(pool, 100), c = new(pool, 100);
        model.Forward(promptA, a, scratch, new float[vocab], allLogits: false);

        int[] nextA = [7];
        BatchSlice[] slices = [new(a, nextA), new(b, promptB), new(c, promptC, LogitsWanted.All)];
        var logits = new float[(2 + promptC.Length) * vocab];
        Assert.Equal(2 + promptC.Length, model.ForwardBatch(slices, scratch, logits));
        Assert.Equal((22, 5, 17), (a.Length, b.Length, c.Length));
        AssertClose(Alone(model, kv, promptA, nextA), logits.AsSpan(0, vocab), tolerance, "A decoding");
        AssertClose(Alone(model, kv, promptB).AsSpan((promptB.Length - 1) * vocab), logits.AsSpan(vocab, vocab), tolerance, "B prefilling");
        AssertClose(Alone(model, kv, promptC), logits.AsSpan(2 * vocab), tolerance, "C prefilling, every row");

        int[] nextB = [11], nextC = [13];
        slices = [new(a, nextA, LogitsWanted.None), new(b, nextB), new(c, nextC)];
        Assert.Equal(2, model.ForwardBatch(slices, scratch, logits));
        Assert.Equal(23, a.Length);
        AssertClose(Alone(model, kv, promptB, nextB), logits.AsSpan(0, vocab), tolerance, "B decoding");
        AssertClose(Alone(model, kv, promptC, nextC), logits.AsSpan(vocab, vocab), tolerance, "C decoding");
    }

    /// <summary>Logits within <paramref name="tolerance"/> of the reference (max|Δ|/max|ref|).</summary>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        var error = LogitErrors.RelativeMax(expected, actual);
        Assert.True(error <= tolerance, $"{what}: max|Δ|/max|ref| = {error:E2}");
    }

    /// <summary>Copies the GGUF at <paramref name="from"/> to <paramref name="to"/> without the tensor <paramref name="dropped"/>,
    /// adding what <paramref name="add"/> writes.</summary>
    public static void CopyWithout(string from, string to, string dropped, Action<GgufWriter>? add = null)
    {
        using var file = GgufFile.Open(from);
        var writer = new GgufWriter();
        foreach (var (key, value) in file.Metadata) writer.Set(key, value);
        foreach (var t in file.Tensors.Where(t => t.Name != dropped)) writer.AddTensor(t);
        add?.Invoke(writer);
        writer.Write(to);
    }
}
