using System.ClientModel;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;

namespace Moxing.Server.Tests.Tools;

/// tool_choice auto for models with LFM2's and MiniMax-M2's real templates, their call markup held as control tokens: the calls
/// are parsed out of the scripted reply, whole and streamed through the OpenAI SDK and as objects over Ollama's /api/chat;
/// a forced call is refused naming the format. Phi-4-mini's real template gets the tools on its system message.
public sealed class ScriptedTemplateToolCallTests(ScriptedServerFixture server) : IClassFixture<ScriptedServerFixture>
{
    // LFM2 writes Python calls; city is a string in any quotes, a and b Python ints
    private const string Lfm2Reply = "Checking both.<|tool_call_start|>[get_weather(city=\"0042\", unit='c'), add(a=2, b=3)]<|tool_call_end|>";

    // MiniMax-M2 thinks first (its generation prompt opens <think>); its values are plain text typed by the tools' schemas
    private const string MiniMaxReply = "Two tools.\n</think>\n\nChecking both.<minimax:tool_call>\n<invoke name=\"get_weather\">\n"
        + "<parameter name=\"city\">0042</parameter>\n<parameter name=\"unit\">c</parameter>\n</invoke>\n<invoke name=\"add\">\n"
        + "<parameter name=\"a\">2</parameter>\n<parameter name=\"b\">3</parameter>\n</invoke>\n</minimax:tool_call>";

    public static TheoryData<string, string> Models => new()
    {
        { ScriptedServerFixture.Lfm2, Lfm2Reply },
        { ScriptedServerFixture.MiniMax, MiniMaxReply },
    };

    private ChatClient Chat(string model) =>
        new(model, new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(server.Address, "v1") });

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Sdk_reply_splits_into_content_and_calls(string model, string reply)
    {
        ChatCompletion completion = await Chat(model).CompleteChatAsync([new UserChatMessage(ScriptedEngine.Marker + reply)],
            WeatherTools.ChatOptions(ChatToolChoice.CreateAutoChoice()));
        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        Assert.Equal("Checking both.", string.Concat(completion.Content.Select(p => p.Text)));
        Assert.Equal(["get_weather", "add"], completion.ToolCalls.Select(c => c.FunctionName));
        Assert.All(completion.ToolCalls, c => Assert.StartsWith("call_", c.Id));
        Assert.Equal("""{"city":"0042","unit":"c"}""", completion.ToolCalls[0].FunctionArguments.ToString());
        Assert.Equal("""{"a":2,"b":3}""", completion.ToolCalls[1].FunctionArguments.ToString());
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Sdk_stream_assembles_the_same_calls_and_no_markup(string model, string reply)
    {
        var streamed = await StreamedChat.Collect(Chat(model).CompleteChatStreamingAsync([new UserChatMessage(ScriptedEngine.Marker + reply)],
            WeatherTools.ChatOptions(ChatToolChoice.CreateAutoChoice())));
        Assert.Equal("Checking both.", streamed.Content);
        Assert.Equal(["get_weather", "add"], streamed.Names.Values);
        Assert.Equal("""{"city":"0042","unit":"c"}""", streamed.Arguments[0]);
        Assert.Equal("""{"a":2,"b":3}""", streamed.Arguments[1]);
        Assert.Equal(ChatFinishReason.ToolCalls, streamed.Finish);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Ollama_gets_the_arguments_as_objects(string model, string reply)
    {
        var (status, text) = await server.PostAsync("/api/chat", Request(model, reply));
        Assert.Equal(200, status);
        var message = JsonNode.Parse(text)!["message"]!;
        // without think: true Ollama leaves MiniMax-M2's thinking in the content
        Assert.EndsWith("Checking both.", (string?)message["content"]);
        var calls = message["tool_calls"]!.AsArray();
        Assert.Equal("0042", (string?)calls[0]!["function"]!["arguments"]!["city"]);
        Assert.Equal(3, (int)calls[1]!["function"]!["arguments"]!["b"]!);
    }

    [Theory]
    [InlineData(ScriptedServerFixture.Lfm2, "Lfm2")]
    [InlineData(ScriptedServerFixture.MiniMax, "MiniMaxM2")]
    public async Task A_forced_call_is_refused_naming_the_format(string model, string format)
    {
        var body = Request(model, "");
        body["tool_choice"] = "required";
        var (status, text) = await server.PostAsync("/v1/chat/completions", body);
        Assert.Equal(400, status);
        var error = JsonNode.Parse(text)!["error"]!;
        Assert.Equal("tool_choice", (string?)error["param"]);
        Assert.Contains(format, (string?)error["message"]);
    }

    [Fact]
    public async Task Phi4_mini_lists_the_tools_on_its_system_message_and_its_calls_parse()
    {
        // the script is the system message itself: the reply echoes how the template listed the tools
        var body = new JsonObject
        {
            ["model"] = ScriptedServerFixture.Phi4Mini,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "system", ["content"] = ScriptedEngine.Marker },
                new JsonObject { ["role"] = "user", ["content"] = "Weather in Paris?" }),
            ["tools"] = WeatherTools.Both(),
        };
        var (status, text) = await server.PostAsync("/v1/chat/completions", body);
        Assert.Equal(200, status);
        var listed = (string)JsonNode.Parse(text)!["choices"]![0]!["message"]!["content"]!;
        Assert.StartsWith("<|tool|>[{", listed);
        Assert.EndsWith("}]<|/tool|>", listed);
        var functions = JsonNode.Parse(listed["<|tool|>".Length..^"<|/tool|>".Length])!.AsArray();
        Assert.Equal(["get_weather", "add"], functions.Select(f => (string?)f!["name"]));

        var reply = "<|tool_call|>[{\"name\": \"add\", \"arguments\": {\"a\": 2, \"b\": 3}}]<|/tool_call|>";
        (status, text) = await server.PostAsync("/v1/chat/completions", Request(ScriptedServerFixture.Phi4Mini, reply));
        Assert.Equal(200, status);
        var message = JsonNode.Parse(text)!["choices"]![0]!["message"]!;
        Assert.Null((string?)message["content"]);
        var call = Assert.Single(message["tool_calls"]!.AsArray())!["function"]!;
        Assert.Equal(("add", """{"a": 2, "b": 3}"""), ((string?)call["name"], (string?)call["arguments"]));
    }

    private static JsonObject Request(string model, string reply) => new()
    {
        ["model"] = model,
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = ScriptedEngine.Marker + reply }),
        ["tools"] = WeatherTools.Both(),
        ["stream"] = false,
    };
}
