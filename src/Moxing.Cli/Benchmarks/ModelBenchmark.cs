using System.Diagnostics;
using System.Runtime;
using Moxing.Core.Tensors;
using Moxing.Inference.Sessions;
using Moxing.Models.Decoder;

namespace Moxing.Cli.Benchmarks;

/// <summary>
/// llama-bench's two tests on a decoder, pp (prefill of random ids) and tg (decoding tokens one by one), from an empty context
/// or at a depth of tokens already in it, and llama-batched-bench's: many sequences, each with its own prompt, prefilled and then decoded together.
/// </summary>
public sealed class ModelBenchmark(DecoderModel model, DType kvType, int prefillChunk = InferenceSession.DefaultPrefillChunk, int seed = 42)
{
    // Warm-up runs at most before the timed repetitions.
    private const int MaxWarmUps = 4;

    // Most tokens one batched prefill step carries, summed over the sequences.
    private const int PrefillStepTokens = 512;

    private readonly Random _random = new(seed);

    /// <summary>Prefill of <paramref name="tokens"/> random ids after <paramref name="depth"/> tokens already in context (llama-bench's
    /// -d; those prefilled once, untimed): tokens/s for each repetition, after warm-ups (<see cref="Repeat"/>).</summary>
    public Samples Prefill(int tokens, int repetitions, int depth = 0)
    {
        var session = AtDepth(tokens, depth);
        var ids = RandomIds(tokens);
        return Repeat(repetitions, () =>
        {
            session.Rewind(depth);
            return Timed(tokens, () => session.Prefill(ids));
        });
    }

    /// <summary>Decoding of <paramref name="tokens"/> tokens one at a time after <paramref name="depth"/> tokens already in context:
    /// tokens/s for each repetition, after warm-ups (<see cref="Repeat"/>).</summary>
    public Samples Generate(int tokens, int repetitions, int depth = 0)
    {
        var session = AtDepth(tokens, depth);
        var ids = RandomIds(tokens);
        return Repeat(repetitions, () =>
        {
            session.Rewind(depth);
            return Timed(tokens, () =>
            {
                foreach (var id in ids) session.Decode(id);
            });
        });
    }

    // A session with room for `depth` + `tokens` positions whose first `depth` hold a prefilled random prompt.
    private InferenceSession AtDepth(int tokens, int depth)
    {
        var session = new InferenceSession(model, depth + tokens, prefillChunk, kvType);
        if (depth > 0) session.Prefill(RandomIds(depth));
        return session;
    }

    /// <summary>
    /// <paramref name="sequences"/> sequences with prompts of <paramref name="prompt"/> random ids each, prefilled in
    /// batched steps, then <paramref name="tokens"/> steps decoding one token of every sequence: aggregate prefill and
    /// generation tokens/s (over all sequences) for each repetition, after warm-ups (<see cref="Repeat"/>).
    /// </summary>
    public (Samples Prefill, Samples Generate) Batched(int sequences, int prompt, int tokens, int repetitions)
    {
        var o = model.Options;
        var blockSize = 16;
        var pool = KvBlockPool.ForPositions(o, kvType, prompt + tokens, blockSize, sequences);
        var scratch = model.CreateScratch(Math.Max(sequences, Math.Min(PrefillStepTokens, sequences * prompt)));
        var kv = new SequenceKv[sequences];
        var prompts = new int[sequences][];
        var next = new int[sequences][];
        var slices = new BatchSlice[sequences];
        for (var i = 0; i < sequences; i++)
        {
            kv[i] = new SequenceKv(pool, Math.Max(1, prompt + tokens));
            prompts[i] = RandomIds(prompt);
            next[i] = RandomIds(Math.Max(tokens, 1));
        }
        var logits = new float[sequences * o.VocabSize];
        var prefillRates = new List<double>();
        var generateRates = Repeat(repetitions, () =>
        {
            foreach (var sequence in kv) sequence.Release();
            prefillRates.Add(Timed(sequences * prompt, () => PrefillAll(kv, prompts, slices, scratch, logits)));
            return Timed(sequences * tokens, () =>
            {
                for (var step = 0; step < tokens; step++)
                {
                    for (var i = 0; i < sequences; i++) slices[i] = new BatchSlice(kv[i], next[i].AsMemory(step, 1));
                    model.ForwardBatch(slices, scratch, logits);
                }
            });
        });
        return (new Samples(prefillRates[1..]), generateRates);
    }

    // Packs prompt chunks of several sequences into each step, up to the scratch's tokens; a prompt's last chunk asks for logits.
    private void PrefillAll(SequenceKv[] kv, int[][] prompts, BatchSlice[] slices, BatchScratch scratch, float[] logits)
    {
        var sequence = 0;
        while (sequence < kv.Length && prompts[sequence].Length > 0)
        {
            int count = 0, used = 0;
            for (var i = sequence; i < kv.Length && used < scratch.Tokens; i++)
            {
                var done = kv[i].Length;
                var take = Math.Min(prompts[i].Length - done, scratch.Tokens - used);
                var last = done + take == prompts[i].Length;
                slices[count++] = new BatchSlice(kv[i], prompts[i].AsMemory(done, take), last ? LogitsWanted.Last : LogitsWanted.None);
                used += take;
            }
            model.ForwardBatch(slices.AsSpan(0, count), scratch, logits);
            while (sequence < kv.Length && kv[sequence].Length == prompts[sequence].Length) sequence++;
        }
    }

    private int[] RandomIds(int count)
    {
        var ids = new int[count];
        for (var i = 0; i < ids.Length; i++) ids[i] = _random.Next(model.Options.VocabSize);
        return ids;
    }

    private static double Timed(int tokens, Action run)
    {
        var start = Stopwatch.GetTimestamp();
        run();
        return tokens / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    // Warm-up runs until one compiles no method (at most MaxWarmUps), then the rates of the repetitions: the JIT compiles hot
    // methods again, optimized, once they have run a while, and a rate is the steady state's only after that.
    private static Samples Repeat(int repetitions, Func<double> run)
    {
        for (var warmUp = 0; warmUp < MaxWarmUps; warmUp++)
        {
            var compiled = JitInfo.GetCompiledMethodCount();
            run();
            if (JitInfo.GetCompiledMethodCount() == compiled) break;
        }
        var rates = new double[repetitions];
        for (var r = 0; r < repetitions; r++) rates[r] = run();
        return new Samples(rates);
    }
}
