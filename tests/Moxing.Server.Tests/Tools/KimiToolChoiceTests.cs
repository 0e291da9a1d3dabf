using System.ClientModel;
using System.Text;
using Moxing.Inference.Tools;
using Moxing.Models;
using OpenAI;
using OpenAI.Chat;

namespace Moxing.Server.Tests.Tools;

// tool_choice required / named for a model with Kimi-K2's real template whose vocabulary holds Kimi-K2's call markup as control
// tokens, with the real engine: constrained decoding writes the markup as those tokens, decoding keeps them as text (special
// tokens are otherwise left out of replies), and the OpenAI SDK reads the call.
[Collection(ServerCollection.Name)]
public sealed class KimiToolChoiceTests(ServerFixture server)
{
    private ChatClient Chat() =>
        new(ServerFixture.Kimi, new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(server.Address, "v1") });

    private static ChatCompletionOptions Options(ChatToolChoice choice, bool parallel)
    {
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 200, ToolChoice = choice, AllowParallelToolCalls = parallel };
        options.Tools.Add(ChatTool.CreateFunctionTool("get_weather", "The weather in a city", BinaryData.FromString(WeatherTools.WeatherSchema)));
        options.Tools.Add(ChatTool.CreateFunctionTool("add", "Adds two numbers", BinaryData.FromString(WeatherTools.AddSchema)));
        return options;
    }

    [Fact]
    public void The_markup_is_control_tokens_of_the_vocabulary()
    {
        using var model = ModelLoader.Load(server.KimiPath);
        var tokenizer = model.RequireTokenizer();
        foreach (var marker in ToolCallFormats.Markers(ToolCallFormat.KimiK2))
            Assert.True(tokenizer.IsSpecialToken(tokenizer.TokenToId(marker)!.Value), marker);
        Assert.Equal(ToolCallFormat.KimiK2, ToolCallFormats.FromChatTemplate(model.ChatTemplates!.GetTemplate(hasTools: true).Source));
    }

    [Fact]
    public async Task Sdk_required_choice_returns_a_valid_call()
    {
        ChatCompletion completion = await Chat().CompleteChatAsync([new UserChatMessage("Weather in Paris?")],
            Options(ChatToolChoice.CreateRequiredChoice(), parallel: false));
        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        var call = Assert.Single(completion.ToolCalls);
        Assert.StartsWith("call_", call.Id);
        WeatherTools.AssertValid(call.FunctionName, call.FunctionArguments.ToString());
        Assert.Empty(completion.Content);
    }

    [Fact]
    public async Task Sdk_streaming_assembles_the_named_calls_from_their_deltas()
    {
        var arguments = new Dictionary<int, StringBuilder>();
        var names = new Dictionary<int, string>();
        ChatFinishReason? finish = null;
        var content = new StringBuilder();
        await foreach (var update in Chat().CompleteChatStreamingAsync([new UserChatMessage("Add 2 and 3")],
            Options(ChatToolChoice.CreateFunctionChoice("add"), parallel: true)))
        {
            foreach (var part in update.ContentUpdate) content.Append(part.Text);
            foreach (var part in update.ToolCallUpdates)
            {
                if (part.FunctionName is { } name) names[part.Index] = name;
                if (!arguments.TryGetValue(part.Index, out var text)) arguments[part.Index] = text = new StringBuilder();
                text.Append(part.FunctionArgumentsUpdate?.ToString());
            }
            finish ??= update.FinishReason;
        }
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.Equal("", content.ToString());
        Assert.NotEmpty(names);
        foreach (var (index, name) in names)
        {
            Assert.Equal("add", name);
            WeatherTools.AssertValid("add", arguments[index].ToString());
        }
    }
}
