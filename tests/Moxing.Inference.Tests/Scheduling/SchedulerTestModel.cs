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

    /// <summary>What <see cref="TokenGenerator"/> produces alone for the same request.</summary>
    public (int[] Ids, FinishReason Finish) Solo(GenerationRequest request, int context)
    {
        var session = new InferenceSession(Decoder, context);
        var ids = new List<int>();
        var finish = new TokenGenerator(session, new Sampler(request.Sampling, Decoder.Options.VocabSize))
            .Generate(request.PromptIds, request.Limits, id => { ids.Add(id); return true; });
        return (ids.ToArray(), finish);
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
