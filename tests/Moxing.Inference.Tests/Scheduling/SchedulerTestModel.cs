using Moxing.Inference.Generation;
using Moxing.Inference.Sampling;
using Moxing.Inference.Scheduling;
using Moxing.Inference.Sessions;
using Moxing.Models;
using Moxing.Models.Decoder;
using Moxing.Tests;

namespace Moxing.Inference.Tests.Scheduling;

/// <summary>The fixture model the scheduler tests share (loaded once), and the reference runs they compare against.</summary>
public sealed class SchedulerTestModel : IDisposable
{
    private readonly LoadedModel _loaded = ModelLoader.Load(Fixtures.Path("hf", "models", "llama-tiny"));

    /// <summary>llama-tiny (1024-token vocabulary, 512 positions).</summary>
    public DecoderModel Decoder => _loaded.RequireDecoder();

    /// <summary>llama-tiny's byte-level BPE tokenizer (end of turn: id 2).</summary>
    public Moxing.Text.Tokenization.Tokenizer Tokenizer => _loaded.RequireTokenizer();

    /// <summary>What <see cref="TokenGenerator"/> produces alone for the same request.</summary>
    public (int[] Ids, FinishReason Finish) Solo(GenerationRequest request, int context)
    {
        var session = new InferenceSession(Decoder, context);
        var ids = new List<int>();
        var finish = new TokenGenerator(session, new Sampler(request.Sampling, Decoder.Options.VocabSize))
            .Generate(request.PromptIds, request.Limits, id => { ids.Add(id); return true; });
        return (ids.ToArray(), finish);
    }

    /// <summary>log P(prompt[p + 1] | prompt[..p + 1]) for every p, from one forward pass over the prompt alone.</summary>
    public double[] PromptLogprobs(int[] prompt)
    {
        var vocab = Decoder.Options.VocabSize;
        var pool = KvBlockPool.ForPositions(Decoder.Options, Core.Tensors.DType.F16, prompt.Length);
        using var sequence = new SequenceKv(pool, prompt.Length);
        var logits = new float[prompt.Length * vocab];
        Decoder.Forward(prompt, sequence, Decoder.CreateScratch(prompt.Length), logits, allLogits: true);
        var result = new double[prompt.Length - 1];
        for (var p = 0; p + 1 < prompt.Length; p++)
        {
            var row = logits.AsSpan(p * vocab, vocab);
            var max = System.Numerics.Tensors.TensorPrimitives.Max(row);
            var sum = 0.0;
            foreach (var v in row) sum += Math.Exp(v - max);
            result[p] = row[prompt[p + 1]] - max - Math.Log(sum);
        }
        return result;
    }

    /// <summary>Deterministic pseudo-random prompt ids.</summary>
    public static int[] Prompt(int length, int seed)
    {
        var random = new Random(seed);
        var ids = new int[length];
        for (var i = 0; i < length; i++) ids[i] = random.Next(3, 1024);
        return ids;
    }

    /// <summary>Reads a stream to its end: the tokens and the outcome.</summary>
    public static async Task<(List<GeneratedToken> Tokens, GenerationOutcome Outcome)> Collect(GenerationStream stream)
    {
        var tokens = new List<GeneratedToken>();
        await foreach (var token in stream.Tokens.ReadAllAsync()) tokens.Add(token);
        return (tokens, await stream.Completion);
    }

    /// <summary>The ids of generated tokens.</summary>
    public static int[] Ids(List<GeneratedToken> tokens) => tokens.Select(t => t.Id).ToArray();

    /// <inheritdoc />
    public void Dispose() => _loaded.Dispose();
}
