using Moxing.Inference.Generation;
using Moxing.Inference.Sampling;
using Moxing.Inference.Sessions;
using Moxing.Models;
using Moxing.Models.Synthesis;
using Moxing.Tests;

namespace Moxing.Inference.Tests.Sessions;

/// <summary>
/// The decode loop allocates nothing per generated token. Counted on the calling thread, which runs kernel ranges
/// itself (the worker pool's own loop is allocation-free, tested in Core); a long and a short generation must allocate
/// the same, so whatever a call costs once is not paid per token.
/// </summary>
public sealed class DecodeAllocationTests
{
    [Theory]
    [InlineData("llama-tiny.Q8_0.gguf")]
    [InlineData("qwen2-tiny.Q4_K_M.gguf")]
    [InlineData("gpt2-tiny.F16.gguf")]
    public void DecodingAllocatesNothingPerToken(string file) => AssertNothingPerToken(Fixtures.Path("gguf", file));

    // Gemma 3's two rotary schedules (full and sliding layers) are both cached per sequence, not built per step.
    [Fact]
    public void DecodingWithTwoRopeSchedulesAllocatesNothingPerToken()
    {
        var path = Path.Combine(Path.GetTempPath(), $"moxing-alloc-{Guid.NewGuid():N}.gguf");
        try
        {
            SyntheticModelWriter.Write(SynthShape.Find("tiny-gemma3")!, SynthFileType.Find("Q8_0")!, 1, path);
            using (var model = ModelLoader.Load(path)) Assert.NotNull(model.RequireDecoder().Options.SlidingRope);
            AssertNothingPerToken(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    // Routing, grouping tokens by expert and the expert products (repacked Q4_K views; gpt-oss's MXFP4 experts with biases,
    // attention sinks and windows) allocate nothing either.
    [Theory]
    [InlineData("tiny-qwen3moe", "Q4_K_M")]
    [InlineData("tiny-gpt-oss", "Q8_0")]
    public void MixtureOfExpertsDecodingAllocatesNothingPerToken(string shape, string type)
    {
        var dir = Directory.CreateTempSubdirectory("moxing-moe-alloc-").FullName;
        try
        {
            var path = Path.Combine(dir, "moe.gguf");
            SyntheticModelWriter.Write(SynthShape.Find(shape)!, SynthFileType.Find(type)!, 1, path);
            AssertNothingPerToken(path);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void AssertNothingPerToken(string path)
    {
        using var model = ModelLoader.Load(path);
        var decoder = model.RequireDecoder();
        var session = new InferenceSession(decoder, 512);
        var sampler = new Sampler(new SamplingOptions { Temperature = 0.7f, TopK = 40, TopP = 0.9f, MinP = 0.05f, RepetitionPenalty = 1.1f, Seed = 7 }, decoder.Options.VocabSize);
        var generator = new TokenGenerator(session, sampler);
        int[] prompt = [1, 2, 3];
        Func<int, bool> onToken = _ => true;
        long Allocated(int tokens)
        {
            var limits = new GenerationLimits(tokens, []);
            session.Rewind(0);
            var before = GC.GetAllocatedBytesForCurrentThread();
            generator.Generate(prompt, limits, onToken);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        for (var warm = 0; warm < 3; warm++) Allocated(300); // tiered JIT, rope tables, pools
        var shortRun = Allocated(20);
        var longRun = Allocated(300);
        Assert.True(longRun <= shortRun, $"280 more tokens allocated {longRun - shortRun} more bytes");
    }
}
