using System.Collections;
using Moxing.Core;
using Moxing.Inference.Generation;
using Moxing.Inference.Sampling;
using Moxing.Inference.Scheduling;
using Moxing.Server.Hosting;
using Moxing.Server.Models;

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
        await using var served = await ServedEngine.LoadAsync(new ModelManagerOptions { Parallel = 4, Context = 256, SpeculativeTokens = speculative });
        Assert.Equal(speculative, served.Engine.Options.SpeculativeTokens);
        return await served.GenerateAsync(new GenerationRequest
        {
            PromptIds = [.. Enumerable.Range(0, 6).SelectMany(_ => new[] { 11, 12, 13, 14, 15 })],
            Limits = new GenerationLimits(40, []),
            Sampling = new SamplingOptions { Temperature = 0, RepetitionPenalty = 0.3f },
        });
    }

    [Fact]
    public async Task A_served_engine_speculates_and_writes_the_same_reply() =>
        Assert.Equal(await GenerateAsync(0), await GenerateAsync(4));
}
