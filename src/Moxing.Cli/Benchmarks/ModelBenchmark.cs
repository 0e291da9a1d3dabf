using System.Diagnostics;
using Moxing.Inference.Sessions;
using Moxing.Models.Decoder;

namespace Moxing.Cli.Benchmarks;

/// <summary>llama-bench's two tests on a decoder: pp (prefill of random ids) and tg (decoding tokens one by one from an empty context).</summary>
public sealed class ModelBenchmark(DecoderModel model, int seed = 42)
{
    private readonly Random _random = new(seed);

    /// <summary>Prefill of <paramref name="tokens"/> random ids: tokens/s for each repetition, after one warm-up.</summary>
    public Samples Prefill(int tokens, int repetitions)
    {
        var session = new InferenceSession(model, tokens);
        var ids = RandomIds(tokens);
        return Repeat(repetitions, tokens, () =>
        {
            session.Rewind(0);
            session.Prefill(ids);
        });
    }

    /// <summary>Decoding of <paramref name="tokens"/> tokens one at a time: tokens/s for each repetition, after one warm-up.</summary>
    public Samples Generate(int tokens, int repetitions)
    {
        var session = new InferenceSession(model, tokens);
        var ids = RandomIds(tokens);
        return Repeat(repetitions, tokens, () =>
        {
            session.Rewind(0);
            foreach (var id in ids) session.Decode(id);
        });
    }

    private int[] RandomIds(int count)
    {
        var ids = new int[count];
        for (var i = 0; i < ids.Length; i++) ids[i] = _random.Next(model.Options.VocabSize);
        return ids;
    }

    private static Samples Repeat(int repetitions, int tokens, Action run)
    {
        run();
        var rates = new double[repetitions];
        for (var r = 0; r < repetitions; r++)
        {
            var start = Stopwatch.GetTimestamp();
            run();
            rates[r] = tokens / Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        return new Samples(rates);
    }
}
