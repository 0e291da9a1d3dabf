using System.Text.Json.Nodes;
using OllamaSharp;
using OllamaSharp.Models.Chat;

namespace Moxing.Server.Tests.Tools;

/// tool_choice auto: the model's own tool-call markup (Qwen/Hermes) is parsed out of its reply, whole and streamed, for the
/// OpenAI and Ollama APIs. The engine writes the reply the prompt scripts.
public sealed class ScriptedToolCallTests(ScriptedServerFixture server) : IClassFixture<ScriptedServerFixture>
{
    private const string TwoCalls = "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": \"c\"}}\n</tool_call>\n"
        + "<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 2, \"b\": 3}}\n</tool_call>";

    private static JsonObject Request(string script, bool stream, JsonNode? tools = null) => new()
    {
        ["model"] = ScriptedServerFixture.Model,
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = ScriptedEngine.Marker + script }),
        ["tools"] = tools ?? WeatherTools.Both(),
        ["stream"] = stream,
    };

    [Fact]
    public async Task OpenAi_reply_splits_into_content_and_calls()
    {
        var (status, text) = await server.PostAsync("/v1/chat/completions", Request(TwoCalls, stream: false));
        Assert.Equal(200, status);
        var choice = JsonNode.Parse(text)!["choices"]![0]!;
        Assert.Equal("tool_calls", (string?)choice["finish_reason"]);
        Assert.Equal("Let me check.\n", (string?)choice["message"]!["content"]);
        var calls = choice["message"]!["tool_calls"]!.AsArray();
        Assert.Equal(["get_weather", "add"], calls.Select(c => (string?)c!["function"]!["name"]));
        Assert.Equal("""{"city": "Paris", "unit": "c"}""", (string?)calls[0]!["function"]!["arguments"]);
        Assert.Equal("""{"a": 2, "b": 3}""", (string?)calls[1]!["function"]!["arguments"]);
    }

    [Fact]
    public async Task OpenAi_without_parallel_calls_keeps_the_first()
    {
        var body = Request(TwoCalls, stream: false);
        body["parallel_tool_calls"] = false;
        var (_, text) = await server.PostAsync("/v1/chat/completions", body);
        var call = Assert.Single(JsonNode.Parse(text)!["choices"]![0]!["message"]!["tool_calls"]!.AsArray());
        Assert.Equal("get_weather", (string?)call!["function"]!["name"]);
    }

    [Fact]
    public async Task OpenAi_stream_gives_content_then_indexed_call_deltas_and_never_markup()
    {
        var (status, text) = await server.PostAsync("/v1/chat/completions", Request(TwoCalls, stream: true));
        Assert.Equal(200, status);
        var choices = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[..^1]
            .Select(e => JsonNode.Parse(e["data: ".Length..])!["choices"]![0]!).ToList();
        var content = string.Concat(choices.Select(c => (string?)c["delta"]!["content"]));
        Assert.Equal("Let me check.\n", content);
        var pieces = choices.Select(c => c["delta"]!["tool_calls"]?[0]).OfType<JsonNode>().ToList();
        Assert.Equal([0, 1], pieces.Select(p => (int)p["index"]!).Distinct());
        Assert.Equal(["get_weather", "add"], pieces.Where(p => p["id"] is not null).Select(p => (string?)p["function"]!["name"]));
        Assert.Equal("""{"a": 2, "b": 3}""", string.Concat(pieces.Where(p => (int)p["index"]! == 1).Select(p => (string?)p["function"]!["arguments"])));
        Assert.Equal("tool_calls", (string?)choices[^1]["finish_reason"]);
    }

    [Fact]
    public async Task A_reply_without_calls_is_plain_content()
    {
        var (_, text) = await server.PostAsync("/v1/chat/completions", Request("It is sunny <b>today</b>.", stream: false));
        var choice = JsonNode.Parse(text)!["choices"]![0]!;
        Assert.Equal("It is sunny <b>today</b>.", (string?)choice["message"]!["content"]);
        Assert.Null(choice["message"]!["tool_calls"]);
        Assert.Equal("stop", (string?)choice["finish_reason"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Ollama_chat_returns_calls_with_object_arguments(bool stream)
    {
        var (status, text) = await server.PostAsync("/api/chat", Request(TwoCalls, stream));
        Assert.Equal(200, status);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(stream, lines.Count > 1);
        Assert.True((bool)lines[^1]["done"]!);
        Assert.Equal("Let me check.\n", string.Concat(lines.Select(l => (string?)l["message"]!["content"])));
        var calls = Assert.Single(lines, l => l["message"]!["tool_calls"] is not null)["message"]!["tool_calls"]!.AsArray();
        Assert.Equal("Paris", (string?)calls[0]!["function"]!["arguments"]!["city"]);
        Assert.Equal(3, (int)calls[1]!["function"]!["arguments"]!["b"]!);
        Assert.Equal("add", (string?)calls[1]!["function"]!["name"]);
    }

    [Fact]
    public async Task OllamaSharp_chat_with_tools_gets_the_call()
    {
        using var client = new OllamaApiClient(server.Address, ScriptedServerFixture.Model);
        var weather = new Tool
        {
            Function = new Function
            {
                Name = "get_weather",
                Description = "The weather in a city",
                Parameters = new Parameters
                {
                    Properties = new Dictionary<string, Property> { ["city"] = new() { Type = "string" }, ["unit"] = new() { Type = "string", Enum = ["c", "f"] } },
                    Required = ["city", "unit"],
                },
            },
        };
        var request = new ChatRequest
        {
            Model = ScriptedServerFixture.Model,
            Messages = [new Message(ChatRole.User, ScriptedEngine.Marker + "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\", \"unit\": \"f\"}}\n</tool_call>")],
            Tools = [weather],
            Stream = true,
        };
        var calls = new List<Message.ToolCall>();
        await foreach (var chunk in client.ChatAsync(request))
            if (chunk?.Message.ToolCalls is { } some) calls.AddRange(some);
        var call = Assert.Single(calls);
        Assert.Equal("get_weather", call.Function!.Name);
        Assert.Equal("Oslo", call.Function.Arguments!["city"]?.ToString());
    }
}
