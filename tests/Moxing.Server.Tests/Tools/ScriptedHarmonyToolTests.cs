using System.Text.Json.Nodes;
using OllamaSharp;
using OllamaSharp.Models.Chat;

namespace Moxing.Server.Tests.Tools;

/// Harmony tool calls (gpt-oss's to=functions.NAME messages) on every chat endpoint, over exact model output: OpenAI chat
/// completions whole and streamed, Responses items and events, Ollama /api/chat (also through OllamaSharp).
public sealed class ScriptedHarmonyToolTests(ScriptedServerFixture server) : IClassFixture<ScriptedServerFixture>
{
    private const string Analysis = "<|channel|>analysis<|message|>Need the weather.<|end|>";
    private const string Call = "<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\":\"Paris\",\"unit\":\"c\"}<|call|>";
    private const string Reply = Analysis + Call;

    private static JsonObject Chat(string script, bool stream = false)
    {
        var body = new JsonObject
        {
            ["model"] = ScriptedServerFixture.Harmony,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = ScriptedEngine.Marker + script }),
            ["tools"] = WeatherTools.Both(),
            ["stream"] = stream,
        };
        return body;
    }

    private async Task<JsonNode> PostOkAsync(string path, JsonObject body)
    {
        var (status, text) = await server.PostAsync(path, body);
        Assert.True(status == 200, text);
        return JsonNode.Parse(text)!;
    }

    private static List<JsonNode> SseData(string text) =>
        [.. text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e.Split('\n').Single(l => l.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..])
            .Where(d => d != "[DONE]").Select(d => JsonNode.Parse(d)!)];

    [Fact]
    public async Task OpenAi_reply_has_the_call_in_tool_calls_and_the_analysis_as_reasoning()
    {
        var choice = (await PostOkAsync("/v1/chat/completions", Chat(Reply)))["choices"]![0]!;
        var message = choice["message"]!;
        Assert.Equal("tool_calls", (string?)choice["finish_reason"]);
        Assert.Equal("Need the weather.", (string?)message["reasoning_content"]);
        Assert.Null(message["content"]);
        var call = Assert.Single(message["tool_calls"]!.AsArray())!;
        Assert.StartsWith("call_", (string?)call["id"]);
        Assert.Equal(("get_weather", "{\"city\":\"Paris\",\"unit\":\"c\"}"), ((string?)call["function"]!["name"], (string?)call["function"]!["arguments"]));
    }

    [Fact]
    public async Task OpenAi_stream_sends_the_call_as_deltas_and_no_markup()
    {
        var (status, text) = await server.PostAsync("/v1/chat/completions", Chat(Reply, stream: true));
        Assert.Equal(200, status);
        Assert.DoesNotContain("<|", text);
        var choices = SseData(text).Select(d => d["choices"]![0]!).ToList();
        var calls = choices.Select(c => c["delta"]!["tool_calls"]?[0]).OfType<JsonNode>().ToList();
        Assert.Equal("get_weather", (string?)calls[0]["function"]!["name"]);
        Assert.StartsWith("call_", (string?)calls[0]["id"]);
        Assert.All(calls, c => Assert.Equal(0, (int)c["index"]!));
        Assert.Equal("{\"city\":\"Paris\",\"unit\":\"c\"}", string.Concat(calls.Select(c => (string?)c["function"]!["arguments"])));
        Assert.Equal("Need the weather.", string.Concat(choices.Select(c => (string?)c["delta"]!["reasoning_content"])));
        Assert.Equal("", string.Concat(choices.Select(c => (string?)c["delta"]!["content"])));
        Assert.Equal("tool_calls", (string?)choices[^1]["finish_reason"]);
    }

    [Fact]
    public async Task Reasoning_format_none_keeps_the_analysis_markup_in_the_content_and_still_takes_the_call_out()
    {
        var body = Chat(Reply);
        body["reasoning_format"] = "none";
        var message = (await PostOkAsync("/v1/chat/completions", body))["choices"]![0]!["message"]!;
        Assert.Equal(Analysis, (string?)message["content"]);
        Assert.Null(message["reasoning_content"]);
        Assert.Equal("get_weather", (string?)Assert.Single(message["tool_calls"]!.AsArray())!["function"]!["name"]);
    }

    [Fact]
    public async Task A_builtin_tool_call_is_reasoning_and_no_tool_call()
    {
        const string script = "<|channel|>analysis to=browser.search code<|message|>{\"query\":\"Paris weather\"}<|call|>";
        var choice = (await PostOkAsync("/v1/chat/completions", Chat(script)))["choices"]![0]!;
        Assert.Equal("stop", (string?)choice["finish_reason"]);
        Assert.Equal("{\"query\":\"Paris weather\"}", (string?)choice["message"]!["reasoning_content"]);
        Assert.Equal("", (string?)choice["message"]!["content"]);
        Assert.Null(choice["message"]!["tool_calls"]);
    }

    [Fact]
    public async Task A_conversation_with_earlier_calls_and_results_renders_and_the_next_answer_is_content()
    {
        var body = Chat("<|channel|>final<|message|>It is 18 °C in Paris.<|return|>");
        var messages = body["messages"]!.AsArray();
        messages.Add((JsonNode)new JsonObject
        {
            ["role"] = "assistant",
            ["content"] = null,
            ["tool_calls"] = new JsonArray(new JsonObject
            {
                ["id"] = "call_1",
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = "get_weather", ["arguments"] = "{\"city\":\"Paris\",\"unit\":\"c\"}" },
            }),
        });
        messages.Add((JsonNode)new JsonObject { ["role"] = "tool", ["tool_call_id"] = "call_1", ["content"] = "18" });
        // the script must be the last SAY: of the prompt, so the user speaks again
        messages.Add((JsonNode)new JsonObject { ["role"] = "user", ["content"] = ScriptedEngine.Marker + "<|channel|>final<|message|>It is 18 °C in Paris.<|return|>" });
        var reply = await PostOkAsync("/v1/chat/completions", body);
        Assert.Equal("It is 18 °C in Paris.", (string?)reply["choices"]![0]!["message"]!["content"]);
        Assert.Equal("stop", (string?)reply["choices"]![0]!["finish_reason"]);
    }

    [Fact]
    public async Task An_assistant_reasoning_content_reaches_the_template_as_thinking()
    {
        // the harmony template renders an assistant's `thinking` as its analysis; the script is only in the reasoning sent back
        var body = Chat("<|channel|>final<|message|>unused<|return|>");
        var messages = body["messages"]!.AsArray();
        messages[0]!["content"] = "What is the weather?";
        messages.Add((JsonNode)new JsonObject
        {
            ["role"] = "assistant",
            ["content"] = "Let me think.",
            ["reasoning_content"] = ScriptedEngine.Marker + "<|channel|>final<|message|>The reasoning came through.<|return|><|im_end|>",
        });
        var reply = await PostOkAsync("/v1/chat/completions", body);
        Assert.Equal("The reasoning came through.", (string?)reply["choices"]![0]!["message"]!["content"]);
    }

    [Fact]
    public async Task Responses_give_a_reasoning_item_then_a_function_call_item_whole_and_streamed()
    {
        var body = new JsonObject
        {
            ["model"] = ScriptedServerFixture.Harmony,
            ["input"] = ScriptedEngine.Marker + Reply,
            ["tools"] = new JsonArray(new JsonObject { ["type"] = "function", ["name"] = "get_weather", ["parameters"] = JsonNode.Parse(WeatherTools.WeatherSchema) }),
        };
        var output = (await PostOkAsync("/v1/responses", body))["output"]!.AsArray();
        Assert.Equal(["reasoning", "function_call"], output.Select(i => (string?)i!["type"]));
        Assert.Equal("Need the weather.", (string?)output[0]!["content"]![0]!["text"]);
        Assert.Equal(("get_weather", "{\"city\":\"Paris\",\"unit\":\"c\"}"), ((string?)output[1]!["name"], (string?)output[1]!["arguments"]));
        Assert.StartsWith("call_", (string?)output[1]!["call_id"]);

        body["stream"] = true;
        var (_, text) = await server.PostAsync("/v1/responses", body);
        Assert.DoesNotContain("<|", text);
        var events = SseData(text);
        var done = events.Single(e => (string?)e["type"] == "response.function_call_arguments.done");
        Assert.Equal(("get_weather", "{\"city\":\"Paris\",\"unit\":\"c\"}"), ((string?)done["name"], (string?)done["arguments"]));
        Assert.Equal("{\"city\":\"Paris\",\"unit\":\"c\"}",
            string.Concat(events.Where(e => (string?)e["type"] == "response.function_call_arguments.delta").Select(e => (string?)e["delta"])));
        Assert.Contains(events, e => (string?)e["type"] == "response.reasoning_text.done");
    }

    [Fact]
    public async Task Ollama_chat_gives_the_call_with_arguments_as_an_object_whole_and_streamed()
    {
        var body = Chat(Reply);
        var message = (await PostOkAsync("/api/chat", body))["message"]!;
        Assert.Equal(("Need the weather.", ""), ((string?)message["thinking"], (string?)message["content"]));
        var call = Assert.Single(message["tool_calls"]!.AsArray())!["function"]!;
        Assert.Equal("get_weather", (string?)call["name"]);
        Assert.Equal("Paris", (string?)call["arguments"]!["city"]);

        body["stream"] = true;
        var (_, lines) = await server.PostAsync("/api/chat", body);
        Assert.DoesNotContain("<|", lines);
        var messages = lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!["message"]!).ToList();
        Assert.Equal("Need the weather.", string.Concat(messages.Select(m => (string?)m["thinking"])));
        var streamed = Assert.Single(messages, m => m["tool_calls"] is not null)["tool_calls"]![0]!["function"]!;
        Assert.Equal("c", (string?)streamed["arguments"]!["unit"]);
    }

    [Fact]
    public async Task OllamaSharp_reads_the_call()
    {
        using var client = new OllamaApiClient(server.Address, ScriptedServerFixture.Harmony);
        var request = new ChatRequest
        {
            Model = ScriptedServerFixture.Harmony,
            Messages = [new Message(ChatRole.User, ScriptedEngine.Marker + Reply)],
            Tools = [new Tool { Function = new Function { Name = "get_weather", Description = "The weather in a city", Parameters = new Parameters
            {
                Properties = new Dictionary<string, Property> { ["city"] = new() { Type = "string" }, ["unit"] = new() { Type = "string", Enum = ["c", "f"] } },
                Required = ["city", "unit"],
            } } }],
            Stream = true,
        };
        var calls = new List<Message.ToolCall>();
        var thinking = new System.Text.StringBuilder();
        await foreach (var chunk in client.ChatAsync(request))
        {
            if (chunk?.Message.ToolCalls is { } some) calls.AddRange(some);
            thinking.Append(chunk?.Message.Thinking);
        }
        var call = Assert.Single(calls);
        Assert.Equal("get_weather", call.Function!.Name);
        Assert.Equal("Paris", call.Function.Arguments!["city"]?.ToString());
        Assert.Equal("Need the weather.", thinking.ToString());
    }
}
