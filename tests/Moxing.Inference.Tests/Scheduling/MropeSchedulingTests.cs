using Moxing.Core.Tensors;
using Moxing.Inference.Generation;
using Moxing.Inference.Sampling;
using Moxing.Inference.Scheduling;
using Moxing.Models;
using Moxing.Models.Decoder;
using Moxing.Models.Synthesis;
using static Moxing.Inference.Tests.Scheduling.SchedulerTestModel;

namespace Moxing.Inference.Tests.Scheduling;

/// <summary>
/// M-RoPE through the scheduler (synth tiny-qwen2vl): a prompt with an image grid, whose text after the grid is rotated at positions
/// behind its cache slots, gives the greedy tokens of the model run alone — prefilled in chunks that cut the grid, beside a text-only
/// request, and from the prefix cache (the same image reuses its blocks, another image does not).
/// </summary>
public sealed class MropeSchedulingTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-mrope-").FullName;
    private readonly LoadedModel _model;

    public MropeSchedulingTests()
    {
        var path = Path.Combine(_dir, "tiny-qwen2vl.gguf");
        SyntheticModelWriter.Write(SynthShape.Find("tiny-qwen2vl")!, SynthFileType.Find("F16")!, 5, path);
        _model = ModelLoader.Load(path);
    }

    private DecoderModel Decoder => _model.RequireDecoder();

    public void Dispose()
    {
        _model.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    // A 3 × 4 grid at positions 5..16 of a 40-token prompt (its placeholder ids stay as drawn).
    private EmbeddedSpan Image(int seed)
    {
        var random = new Random(seed);
        var rows = Enumerable.Range(0, 12 * Decoder.Options.HiddenSize).Select(_ => random.NextSingle() * 2 - 1).ToArray();
        return new EmbeddedSpan(5, 12, rows, Bidirectional: false, (ulong)seed) { GridWidth = 4 };
    }

    private static GenerationRequest Request(int[] prompt, IReadOnlyList<EmbeddedSpan> spans) => new()
    {
        PromptIds = prompt,
        Spans = spans,
        Limits = new GenerationLimits(10, []),
        Sampling = SamplingOptions.Greedy,
        Logprobs = true,
    };

    private ContinuousBatchScheduler Scheduler(bool caching) => new(Decoder, new SchedulerOptions
    {
        ContextSize = 128,
        KvBlockTokens = 16,
        MaxRunningSequences = 4,
        PrefillChunkTokens = 13,
        PrefixCaching = caching,
    });

    // Greedy decoding of the model alone (the ids and their log-probabilities): the prompt in one call, then one token a step, the
    // spans passed with each.
    private (int[] Ids, double[] Logprobs) Alone(int[] prompt, IReadOnlyList<EmbeddedSpan> spans, int count)
    {
        var vocab = Decoder.Options.VocabSize;
        var pool = KvBlockPool.ForPositions(Decoder.Options, DType.F16, 128);
        using var sequence = new SequenceKv(pool, 128);
        var scratch = Decoder.CreateScratch(64);
        var logits = new float[vocab];
        var (ids, logprobs) = (new int[count], new double[count]);
        int[] next = prompt;
        for (var i = 0; i < count; i++)
        {
            Decoder.Forward(next, sequence, scratch, logits, allLogits: false, spans);
            var max = logits.Max();
            ids[i] = Array.IndexOf(logits, max);
            logprobs[i] = -Math.Log(logits.Sum(l => Math.Exp(l - max)));
            next = [ids[i]];
        }
        return (ids, logprobs);
    }

    private float[] LastLogits(int[] prompt, EmbeddedSpan span)
    {
        using var sequence = new SequenceKv(KvBlockPool.ForPositions(Decoder.Options, DType.F32, 64), 64);
        var logits = new float[Decoder.Options.VocabSize];
        Decoder.Forward(prompt, sequence, Decoder.CreateScratch(64), logits, allLogits: false, [span]);
        return logits;
    }

    // The same ids, log-probabilities within 1e-4 (a chunk's row count changes the products' rounding).
    private static void AssertSame((int[] Ids, double[] Logprobs) expected, List<GeneratedToken> actual)
    {
        Assert.Equal(expected.Ids, Ids(actual));
        for (var i = 0; i < actual.Count; i++) Assert.Equal(expected.Logprobs[i], actual[i].Logprob, 1e-4);
    }

    [Fact]
    public async Task ChunkedBatchedAndCachedPromptsWithAnImageGiveTheTokensOfTheModelAlone()
    {
        int[] prompt = Prompt(40, 3), text = Prompt(21, 4);
        EmbeddedSpan image = Image(7), other = Image(8);
        await using var cold = Scheduler(caching: false);
        var withImage = Collect(cold.Submit(Request(prompt, [image])));
        var textOnly = Collect(cold.Submit(Request(text, [])));
        AssertSame(Alone(prompt, [image], 10), (await withImage.WaitAsync(Patience)).Tokens);
        AssertSame(Alone(text, [], 10), (await textOnly.WaitAsync(Patience)).Tokens);

        await using var warm = Scheduler(caching: true);
        var first = await Collect(warm.Submit(Request(prompt, [image]))).WaitAsync(Patience);
        var again = await Collect(warm.Submit(Request(prompt, [image]))).WaitAsync(Patience);
        var another = await Collect(warm.Submit(Request(prompt, [other]))).WaitAsync(Patience);
        Assert.Equal((0, 32, 0), (first.Outcome.CachedPromptTokens, again.Outcome.CachedPromptTokens, another.Outcome.CachedPromptTokens));
        AssertSame(Alone(prompt, [image], 10), first.Tokens);
        AssertSame(Alone(prompt, [image], 10), again.Tokens);
        AssertSame(Alone(prompt, [other], 10), another.Tokens);
        // the grid's positions matter: the prompt's next-token logits after a grid differ from those after the same rows at consecutive positions
        var (grid, consecutive) = (LastLogits(prompt, image), LastLogits(prompt, image with { GridWidth = 0 }));
        Assert.True(grid.Zip(consecutive, (a, b) => Math.Abs(a - b)).Max() > 1e-3 * grid.Max(Math.Abs), "grid and consecutive positions give the same logits");
    }
}
