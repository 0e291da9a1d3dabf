using System.Text;
using System.Text.Json.Nodes;
using Moxing.Server.Generation;
using Moxing.Server.Http;
using Moxing.Server.Ollama;
using Moxing.Server.OpenAi;
using Moxing.Server.Store;

namespace Moxing.Server.Tests;

/// A model's own defaults (an Ollama model's params and system layers) under the request-reading code of both APIs.
public sealed class ModelDefaultsTests
{
    private static readonly ModelDefaults Defaults = new()
    {
        Stop = ["<|im_end|>"],
        Temperature = 0.6,
        TopK = 20,
        RepeatLastN = 0,
        NumPredict = 128,
        System = "Be brief.",
    };

    private static JsonRequest Request(string json) => JsonRequest.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void OllamaOptionsFallBackToTheModelsDefaultsAndTheRequestWins()
    {
        var p = OllamaOptions.Read(Request("""{"model":"m"}"""), Defaults, out var numCtx);
        Assert.Null(numCtx);
        Assert.Equal(["<|im_end|>"], p.Stops);
        Assert.Equal((0.6f, 20, 0.9f), (p.Sampling.Temperature, p.Sampling.TopK, p.Sampling.TopP));
        // repeat_last_n 0 from the model turns Ollama's default repeat penalty off
        Assert.Equal((1f, 0), (p.Sampling.RepetitionPenalty, p.Sampling.PenaltyWindow));
        Assert.Equal(128, p.MaxTokens);

        p = OllamaOptions.Read(Request("""{"options":{"stop":["END"],"temperature":0,"num_predict":-1,"repeat_last_n":32}}"""), Defaults, out _);
        Assert.Equal(["END"], p.Stops);
        Assert.Equal((0f, 20), (p.Sampling.Temperature, p.Sampling.TopK));
        Assert.Equal((1.1f, 32), (p.Sampling.RepetitionPenalty, p.Sampling.PenaltyWindow));
        Assert.Null(p.MaxTokens);

        // without model defaults: Ollama's own
        p = OllamaOptions.Read(Request("{}"), null, out _);
        Assert.Equal(OllamaOptions.Defaults, p.Sampling);
        Assert.Empty(p.Stops);
    }

    [Fact]
    public void OpenAiParametersFallBackToTheModelsDefaultsAndTheRequestWins()
    {
        var p = OpenAiParameters.Read(Request("{}"), null, Defaults);
        Assert.Equal(["<|im_end|>"], p.Stops);
        Assert.Equal((0.6f, 20, 1f), (p.Sampling.Temperature, p.Sampling.TopK, p.Sampling.TopP));
        Assert.Equal(128, p.MaxTokens);

        p = OpenAiParameters.Read(Request("""{"stop":"X","temperature":1.5,"top_k":-1}"""), 7, Defaults);
        Assert.Equal(["X"], p.Stops);
        Assert.Equal((1.5f, 0), (p.Sampling.Temperature, p.Sampling.TopK));
        Assert.Equal(7, p.MaxTokens);
        Assert.Equal(new Moxing.Inference.Sampling.SamplingOptions(), OpenAiParameters.Read(Request("{}"), null).Sampling);
    }

    [Fact]
    public void TheDefaultSystemPromptGoesFirstOnlyWhenTheChatHasNone()
    {
        var messages = new JsonArray { new JsonObject { ["role"] = "user", ["content"] = "hi" } };
        var withSystem = ChatPrompt.WithDefaultSystem(messages, "Be brief.");
        Assert.Equal(2, withSystem.Count);
        Assert.Equal(("system", "Be brief."), ((string?)withSystem[0]!["role"], (string?)withSystem[0]!["content"]));

        var own = new JsonArray { new JsonObject { ["role"] = "user", ["content"] = "hi" }, new JsonObject { ["role"] = "developer", ["content"] = "mine" } };
        Assert.Equal(2, ChatPrompt.WithDefaultSystem(own, "Be brief.").Count);
        Assert.Single(ChatPrompt.WithDefaultSystem(new JsonArray { new JsonObject { ["role"] = "user", ["content"] = "hi" } }, null));
    }

    [Fact]
    public void ParametersReadAsOllamaShowsThem()
    {
        Assert.Equal("stop                           \"<|im_end|>\"\ntemperature                    0.6\ntop_k                          20\n" +
                     "repeat_last_n                  0\nnum_predict                    128\n", Defaults.ParameterText());
        Assert.Equal(Defaults, Defaults with { Stop = ["<|im_end|>"] });
        Assert.NotEqual(Defaults, Defaults with { Stop = ["other"] });
        Assert.True(new ModelDefaults().IsEmpty);
    }
}
