using System.ClientModel;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using ChatFinishReason = OpenAI.Chat.ChatFinishReason;

namespace Moxing.Server.Tests.Tools;

/// Tool calls through the official OpenAI .NET SDK and Microsoft.Extensions.AI against the real engine (forced choices, so
/// the random-weight fixture model must call).
[Collection(ServerCollection.Name)]
public sealed class ToolClientTests(ServerFixture server)
{
    private ChatClient Chat() =>
        new(ServerFixture.Qwen3, new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(server.Address, "v1") });

    private static ChatCompletionOptions Options(ChatToolChoice choice) => WeatherTools.ChatOptions(choice, parallel: false);

    [Fact]
    public async Task Sdk_required_choice_returns_a_tool_call()
    {
        ChatCompletion completion = await Chat().CompleteChatAsync([new UserChatMessage("Weather in Paris?")], Options(ChatToolChoice.CreateRequiredChoice()));
        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        var call = Assert.Single(completion.ToolCalls);
        Assert.StartsWith("call_", call.Id);
        WeatherTools.AssertValid(call.FunctionName, call.FunctionArguments.ToString());
    }

    [Fact]
    public async Task Sdk_streaming_assembles_the_named_call_from_its_deltas()
    {
        var arguments = new StringBuilder();
        string? id = null, name = null;
        ChatFinishReason? finish = null;
        var options = Options(ChatToolChoice.CreateFunctionChoice("add"));
        await foreach (var update in Chat().CompleteChatStreamingAsync([new UserChatMessage("Add 2 and 3")], options))
        {
            foreach (var part in update.ToolCallUpdates)
            {
                Assert.Equal(0, part.Index);
                id ??= part.ToolCallId;
                name ??= part.FunctionName;
                if (part.FunctionArgumentsUpdate is { } fragment) arguments.Append(fragment.ToString());
            }
            finish ??= update.FinishReason;
        }
        Assert.StartsWith("call_", id);
        Assert.Equal("add", name);
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        WeatherTools.AssertValid("add", arguments.ToString());
    }

    [Fact]
    public async Task Sdk_sends_the_call_and_its_result_back_for_the_next_turn()
    {
        var options = Options(ChatToolChoice.CreateFunctionChoice("get_weather"));
        List<OpenAI.Chat.ChatMessage> messages = [new UserChatMessage("Weather in Paris?")];
        ChatCompletion first = await Chat().CompleteChatAsync(messages, options);
        var call = Assert.Single(first.ToolCalls);
        messages.Add(new AssistantChatMessage(first));
        messages.Add(new ToolChatMessage(call.Id, "22 degrees"));
        options.ToolChoice = ChatToolChoice.CreateAutoChoice();
        options.MaxOutputTokenCount = 4;
        ChatCompletion second = await Chat().CompleteChatAsync(messages, options);
        // The template rendered the call and the tool's result after the first prompt.
        Assert.True(second.Usage.InputTokenCount > first.Usage.InputTokenCount);
    }

    [Fact]
    public async Task Extensions_AI_chat_client_gets_function_call_content()
    {
        IChatClient client = Chat().AsIChatClient();
        var add = AIFunctionFactory.Create((int a, int b) => a + b, "add", "Adds two numbers");
        var options = new ChatOptions { Tools = [add], ToolMode = ChatToolMode.RequireSpecific("add"), MaxOutputTokens = 120, Seed = 2, AllowMultipleToolCalls = false };
        var response = await client.GetResponseAsync("Add 2 and 3", options);
        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("add", call.Name);
        Assert.NotNull(call.Arguments);
        Assert.True(call.Arguments.ContainsKey("a") && call.Arguments.ContainsKey("b"), JsonSerializer.Serialize(call.Arguments));
        Assert.Equal(Microsoft.Extensions.AI.ChatFinishReason.ToolCalls, response.FinishReason);
    }
}
