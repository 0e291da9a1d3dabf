using System.ClientModel;
using System.Text;
using System.Text.Json.Nodes;
using Moxing.Models;
using OpenAI;
using OpenAI.Chat;

namespace Moxing.Server.Tests.Tools;

// tool_choice required / named for a harmony model whose vocabulary has harmony's control tokens (as gpt-oss's does), with the
// real engine: constrained decoding writes a harmony call message, <|call|> ends it, and the OpenAI SDK reads the call.
[Collection(ServerCollection.Name)]
public sealed class HarmonyToolChoiceTests(ServerFixture server)
{
    private ChatClient Chat() =>
        new(ServerFixture.Harmony, new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(server.Address, "v1") });

    private static ChatCompletionOptions Options(ChatToolChoice choice)
    {
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 160, ToolChoice = choice };
        options.Tools.Add(ChatTool.CreateFunctionTool("get_weather", "The weather in a city", BinaryData.FromString(WeatherTools.WeatherSchema)));
        options.Tools.Add(ChatTool.CreateFunctionTool("add", "Adds two numbers", BinaryData.FromString(WeatherTools.AddSchema)));
        return options;
    }

    [Fact]
    public void The_harmony_vocabulary_ends_generation_at_call_and_return()
    {
        using var model = ModelLoader.Load(server.HarmonyPath);
        var tokenizer = model.RequireTokenizer();
        foreach (var end in (string[])["<|call|>", "<|return|>"])
        {
            var id = tokenizer.TokenToId(end)!.Value;
            Assert.True(tokenizer.IsSpecialToken(id));
            Assert.Contains(id, model.EosTokenIds);
        }
    }

    [Fact]
    public async Task Sdk_required_choice_returns_a_valid_call()
    {
        ChatCompletion completion = await Chat().CompleteChatAsync([new UserChatMessage("Weather in Paris?")], Options(ChatToolChoice.CreateRequiredChoice()));
        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        var call = Assert.Single(completion.ToolCalls);
        Assert.StartsWith("call_", call.Id);
        WeatherTools.AssertValid(call.FunctionName, call.FunctionArguments.ToString());
        Assert.Empty(completion.Content);
    }

    [Fact]
    public async Task Sdk_streaming_assembles_the_named_call_from_its_deltas()
    {
        var arguments = new StringBuilder();
        string? name = null;
        ChatFinishReason? finish = null;
        await foreach (var update in Chat().CompleteChatStreamingAsync([new UserChatMessage("Add 2 and 3")], Options(ChatToolChoice.CreateFunctionChoice("add"))))
        {
            foreach (var part in update.ToolCallUpdates)
            {
                name ??= part.FunctionName;
                arguments.Append(part.FunctionArgumentsUpdate?.ToString());
            }
            finish ??= update.FinishReason;
        }
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.Equal("add", name);
        WeatherTools.AssertValid("add", arguments.ToString());
    }

    [Fact]
    public async Task Ollama_and_responses_get_the_forced_call_too()
    {
        var responses = new JsonObject
        {
            ["model"] = ServerFixture.Harmony,
            ["input"] = "Weather in Paris?",
            ["tools"] = new JsonArray(new JsonObject { ["type"] = "function", ["name"] = "get_weather", ["parameters"] = JsonNode.Parse(WeatherTools.WeatherSchema) }),
            ["tool_choice"] = "required",
            ["max_output_tokens"] = 160,
        };
        var (status, reply, _) = await server.PostAsync("/v1/responses", responses.ToJsonString());
        Assert.True(status == 200, reply?.ToJsonString());
        var item = Assert.Single(reply!["output"]!.AsArray(), i => (string?)i!["type"] == "function_call")!;
        WeatherTools.AssertValid((string)item["name"]!, (string)item["arguments"]!);
    }
}
