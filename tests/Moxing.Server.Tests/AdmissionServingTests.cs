using Moxing.Core.Tensors;
using Moxing.Inference.Generation;
using Moxing.Inference.Sampling;
using Moxing.Inference.Scheduling;
using Moxing.Models.Decoder;
using Moxing.Models.Synthesis;
using Moxing.Server.Models;
using Moxing.Text.Tokenization.Gguf;

namespace Moxing.Server.Tests;

/// <summary>
/// The model manager's capacity under admission by current need: --parallel sequences run in a KV budget of as many full
/// contexts as memory allows (fewer here), preempted and recomputed when it runs out.
/// </summary>
public sealed class AdmissionServingTests : IDisposable
{
    private const int Parallel = 8;
    private const int Context = 256;
    private readonly string _folder = Directory.CreateTempSubdirectory("moxing-admission-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    // The engine of `path` under a memory limit of its weights plus two full-context sequences.
    private static async Task<ServedEngine> TwoContextsAsync(string? path = null)
    {
        long limit;
        await using (var unlimited = await ServedEngine.LoadAsync(new ModelManagerOptions { Parallel = Parallel, Context = Context }, path))
        {
            var s = unlimited.Settings;
            limit = unlimited.Resident.MemoryBytes - s.KvBudgetBytes + 2 * (s.KvBudgetBytes / s.FullContextSequences) + 4096;
        }
        return await ServedEngine.LoadAsync(new ModelManagerOptions { Parallel = Parallel, Context = Context, MaxMemoryBytes = limit }, path);
    }

    private static GenerationRequest Request(int seed) => new()
    {
        PromptIds = [.. Enumerable.Range(0, 40).Select(i => 1 + (i * 7 + seed * 13) % 200)],
        Limits = new GenerationLimits(240, []),
        Sampling = SamplingOptions.Greedy,
    };

    // (Replies are compared token by token in Moxing.Inference.Tests' PreemptionTests, on F32 weights: this Q4_K_M model's greedy
    // replies already differ between batched and alone after tens of tokens, as its activations are rounded per batch.)
    [Fact]
    public async Task Parallel_sequences_share_a_budget_of_fewer_full_contexts_and_all_run_to_the_end()
    {
        await using var served = await TwoContextsAsync();
        Assert.Equal((2, Parallel), (served.Settings.FullContextSequences, served.Engine.Options.MaxRunningSequences));
        var together = await Task.WhenAll(Enumerable.Range(0, Parallel).Select(i => served.GenerateAsync(Request(i))));
        // each fills its context: 256 positions hold the 40-token prompt and 216 of the 217 tokens emitted
        Assert.All(together, ids => Assert.Equal(Context - 40 + 1, ids.Length));
        Assert.True(served.Engine.Counters.Preemptions > 0, "eight sequences growing to 256 positions in two contexts' blocks preempt");
    }

    [Fact]
    public async Task A_model_with_recurrent_state_runs_as_many_sequences_as_their_states_and_snapshots_leave_room_for_beside_one_context()
    {
        var shape = SynthShape.Find("tiny-lfm2")!;
        var path = Path.Combine(_folder, "tiny-lfm2.gguf");
        SyntheticModelWriter.Write(shape, SynthFileType.Find("Q8_0")!, 2, path, WordVocabulary.Metadata(shape.Vocab));
        await using var served = await TwoContextsAsync(path);
        var o = served.Engine.Options;
        var decoder = served.Resident.Model.RequireDecoder().Options;
        var state = KvBlockPool.StateBytesPerSequence(decoder);
        var context = KvBlockPool.BytesPerPosition(decoder, served.Settings.KvType) * Context;
        Assert.Equal(2, served.Settings.FullContextSequences);
        // each running sequence's state and a prefix-cache snapshot of one
        Assert.Equal(Math.Min(Parallel, (served.Settings.KvBudgetBytes - context) / (2 * state)), o.MaxRunningSequences);
        Assert.True(o.MaxRunningSequences > 2);
        Assert.True(o.PrefixCaching);
        Assert.Equal(o.MaxRunningSequences, o.StateSnapshots);
        Assert.Equal(4, (await served.GenerateAsync(ServedEngine.FourTokens())).Length);
    }
}
