using System.Collections;
using Microsoft.Extensions.Logging.Abstractions;
using Moxing.Core;
using Moxing.Inference.Generation;
using Moxing.Inference.Sampling;
using Moxing.Inference.Scheduling;
using Moxing.Server.Hosting;
using Moxing.Server.Models;
using Moxing.Tests;

namespace Moxing.Server.Tests;

/// <summary>serve --speculative-tokens (speculative_tokens setting): prompt-lookup drafts in the served engines.</summary>
public sealed class SpeculativeServingTests
{
    [Fact]
    public void The_setting_comes_from_every_layer_and_is_bounded()
    {
        var none = new Dictionary<string, string>();
        Assert.Equal(0, ServerSettings.Resolve(null, new Hashtable(), none).Manager.SpeculativeTokens);
        Assert.Equal(5, ServerSettings.Resolve(null, new Hashtable { ["MOXING_SPECULATIVE_TOKENS"] = "5" }, none).Manager.SpeculativeTokens);
        var error = Assert.Throws<MoxingException>(() =>
            ServerSettings.Resolve(null, new Hashtable(), new Dictionary<string, string> { ["speculative_tokens"] = "17" }));
        Assert.Contains("speculative_tokens", error.Message);
    }

    private static async Task<int[]> GenerateAsync(int speculative)
    {
        var path = Fixtures.Path("gguf", "llama-k256.Q4_K_M.gguf");
        var options = new ModelManagerOptions { Parallel = 4, Context = 256, SpeculativeTokens = speculative };
        await using var manager = new ModelManager(new PathModelCatalog([path]), options, Engines.ContinuousBatching, NullLogger<ModelManager>.Instance);
        using var lease = await manager.AcquireAsync(Assert.Single(manager.Catalog.List()).Name, null, CancellationToken.None);
        var engine = Assert.IsType<ContinuousBatchScheduler>(lease.Resident.Engine);
        Assert.Equal(speculative, engine.Options.SpeculativeTokens);
        var request = new GenerationRequest
        {
            PromptIds = [.. Enumerable.Range(0, 6).SelectMany(_ => new[] { 11, 12, 13, 14, 15 })],
            Limits = new GenerationLimits(40, []),
            Sampling = new SamplingOptions { Temperature = 0, RepetitionPenalty = 0.3f },
        };
        var stream = engine.Submit(request);
        var ids = new List<int>();
        await foreach (var token in stream.Tokens.ReadAllAsync()) ids.Add(token.Id);
        await stream.Completion;
        return [.. ids];
    }

    [Fact]
    public async Task A_served_engine_speculates_and_writes_the_same_reply() =>
        Assert.Equal(await GenerateAsync(0), await GenerateAsync(4));
}
