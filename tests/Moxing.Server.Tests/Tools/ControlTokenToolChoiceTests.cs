using System.ClientModel;
using System.Text.Json.Nodes;
using Moxing.Inference.Tools;
using Moxing.Models;
using OpenAI;
using OpenAI.Chat;

namespace Moxing.Server.Tests.Tools;

// tool_choice required / named, with the real engine, for models whose vocabulary holds their call markup as control tokens:
// harmony (as gpt-oss's does: constrained decoding writes a call message, <|call|> ends it) and Kimi-K2's real template (its
// section and call markers: constrained decoding writes them as those tokens, and decoding keeps them as text although special
// tokens are otherwise left out of replies). The OpenAI SDK reads the calls.
[Collection(ServerCollection.Name)]
public sealed class ControlTokenToolChoiceTests(ServerFixture server)
{
    private ChatClient Chat(string model) =>
        new(model, new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(server.Address, "v1") });

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
    public void Kimi_markup_is_control_tokens_of_the_vocabulary()
    {
        using var model = ModelLoader.Load(server.KimiPath);
        var tokenizer = model.RequireTokenizer();
        foreach (var marker in ToolCallFormats.Markers(ToolCallFormat.KimiK2))
            Assert.True(tokenizer.IsSpecialToken(tokenizer.TokenToId(marker)!.Value), marker);
        Assert.Equal(ToolCallFormat.KimiK2, ToolCallFormats.FromChatTemplate(model.ChatTemplates!.GetTemplate(hasTools: true).Source));
    }

    [Theory]
    [InlineData(ServerFixture.Harmony)]
    [InlineData(ServerFixture.Kimi)]
    public async Task Sdk_required_choice_returns_a_valid_call(string model)
    {
        ChatCompletion completion = await Chat(model).CompleteChatAsync([new UserChatMessage("Weather in Paris?")],
            WeatherTools.ChatOptions(ChatToolChoice.CreateRequiredChoice(), parallel: false, maxTokens: 200));
        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        var call = Assert.Single(completion.ToolCalls);
        Assert.StartsWith("call_", call.Id);
        WeatherTools.AssertValid(call.FunctionName, call.FunctionArguments.ToString());
        Assert.Empty(completion.Content);
    }

    [Theory]
    [InlineData(ServerFixture.Harmony)]
    [InlineData(ServerFixture.Kimi)]
    public async Task Sdk_streaming_assembles_the_named_calls_from_their_deltas(string model)
    {
        var reply = await StreamedChat.Collect(Chat(model).CompleteChatStreamingAsync([new UserChatMessage("Add 2 and 3")],
            WeatherTools.ChatOptions(ChatToolChoice.CreateFunctionChoice("add"), maxTokens: 200)));
        Assert.Equal(ChatFinishReason.ToolCalls, reply.Finish);
        Assert.Equal("", reply.Content);
        Assert.NotEmpty(reply.Names);
        foreach (var (index, name) in reply.Names)
        {
            Assert.Equal("add", name);
            WeatherTools.AssertValid("add", reply.Arguments[index]);
        }
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
