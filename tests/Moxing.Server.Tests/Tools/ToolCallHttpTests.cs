using System.Text.Json.Nodes;
using Moxing.Models;
using Moxing.Tests;

namespace Moxing.Server.Tests.Tools;

/// tools / tool_choice on /v1/chat/completions with the real engine: required and named choices are enforced by constrained
/// decoding, so even the random-weight fixture model returns valid calls.
[Collection(ServerCollection.Name)]
public sealed class ToolCallHttpTests(ServerFixture server)
{
    private static JsonObject Request(JsonNode? choice, bool? parallel = null, bool stream = false, int n = 1, int seed = 1)
    {
        var body = new JsonObject
        {
            ["model"] = ServerFixture.Qwen3,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "What is the weather in Paris?" }),
            ["tools"] = WeatherTools.Both(),
            ["max_tokens"] = 160,
            ["seed"] = seed,
            ["n"] = n,
        };
        if (choice is not null) body["tool_choice"] = choice;
        if (parallel is { } p) body["parallel_tool_calls"] = p;
        if (stream) body["stream"] = true;
        return body;
    }

    private static JsonObject Named(string name) => new() { ["type"] = "function", ["function"] = new JsonObject { ["name"] = name } };

    private async Task<JsonNode> PostOkAsync(JsonObject body)
    {
        var (status, reply, _) = await server.PostAsync("/v1/chat/completions", body.ToJsonString());
        Assert.True(status == 200, reply?.ToJsonString());
        return reply!;
    }

    [Fact]
    public async Task Required_choice_returns_a_valid_call_with_finish_reason_tool_calls()
    {
        var reply = await PostOkAsync(Request("required", parallel: false, n: 3));
        foreach (var choice in reply["choices"]!.AsArray())
        {
            Assert.True("tool_calls" == (string?)choice!["finish_reason"], choice.ToJsonString());
            var message = choice["message"]!;
            Assert.Null(message["content"]);
            var call = Assert.Single(message["tool_calls"]!.AsArray());
            Assert.StartsWith("call_", (string?)call!["id"]);
            Assert.Equal("function", (string?)call["type"]);
            WeatherTools.AssertValid((string)call["function"]!["name"]!, (string)call["function"]!["arguments"]!);
        }
    }

    [Fact]
    public async Task Parallel_calls_each_get_their_own_id()
    {
        // A random-weight model often writes call after call until max_tokens cuts the last one; some seeds stop after one.
        JsonNode? choice = null;
        for (var seed = 1; seed <= 8 && choice == null; seed++)
        {
            var reply = (await PostOkAsync(Request("required", parallel: true, seed: seed)))["choices"]![0]!;
            if (reply["message"]!["tool_calls"]!.AsArray().Count >= 2) choice = reply;
        }
        Assert.True(choice != null, "no seed in 1..8 gave two or more parallel calls");
        var calls = choice["message"]!["tool_calls"]!.AsArray();
        Assert.Equal(calls.Count, calls.Select(c => (string?)c!["id"]).Distinct().Count());
        var finish = (string?)choice["finish_reason"];
        Assert.Contains(finish, new[] { "tool_calls", "length" });
        foreach (var call in finish == "length" ? calls.Take(calls.Count - 1) : calls)
            WeatherTools.AssertValid((string)call!["function"]!["name"]!, (string)call["function"]!["arguments"]!);
    }

    [Theory]
    [InlineData("add")]
    [InlineData("get_weather")]
    public async Task A_named_choice_calls_that_function_once_without_parallel_calls(string name)
    {
        var reply = await PostOkAsync(Request(Named(name), parallel: false, n: 2, seed: 7));
        foreach (var choice in reply["choices"]!.AsArray())
        {
            var call = Assert.Single(choice!["message"]!["tool_calls"]!.AsArray());
            Assert.Equal(name, (string?)call!["function"]!["name"]);
            WeatherTools.AssertValid(name, (string)call["function"]!["arguments"]!);
        }
    }

    [Fact]
    public async Task Streamed_calls_arrive_as_deltas_id_and_name_first_then_argument_fragments()
    {
        var response = await server.Http.PostAsync("/v1/chat/completions", new StringContent(Request(Named("get_weather"), parallel: false, stream: true).ToJsonString()));
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        var deltas = events[..^1].Select(e => JsonNode.Parse(e["data: ".Length..])!["choices"]![0]!).ToList();
        Assert.Equal("assistant", (string?)deltas[0]["delta"]!["role"]);
        Assert.True("tool_calls" == (string?)deltas[^1]["finish_reason"], string.Join("\n", events));
        var pieces = deltas.Where(d => d["delta"]!["tool_calls"] is not null).Select(d => d["delta"]!["tool_calls"]![0]!).ToList();
        Assert.True(pieces.Count >= 3, $"{pieces.Count} tool-call deltas");
        Assert.Equal("get_weather", (string?)pieces[0]["function"]!["name"]);
        Assert.StartsWith("call_", (string?)pieces[0]["id"]);
        Assert.Equal("function", (string?)pieces[0]["type"]);
        Assert.Equal("", (string?)pieces[0]["function"]!["arguments"]);
        Assert.All(pieces, p => Assert.Equal(0, (int)p["index"]!));
        Assert.All(pieces.Skip(1), p => Assert.Null(p["id"]));
        Assert.All(pieces.Skip(1), p => Assert.Null(p["function"]!["name"]));
        WeatherTools.AssertValid("get_weather", string.Concat(pieces.Select(p => (string?)p["function"]!["arguments"])));
        Assert.DoesNotContain(deltas, d => d["delta"]!["content"] is JsonValue v && ((string)v!).Contains("tool_call"));
    }

    [Fact]
    public async Task Tool_choice_none_hides_the_tools_from_the_template()
    {
        var body = Request("none");
        body["max_tokens"] = 1;
        var none = await PostOkAsync(body);
        body["tool_choice"] = "auto";
        var auto = await PostOkAsync(body);
        Assert.True((int)auto["usage"]!["prompt_tokens"]! > (int)none["usage"]!["prompt_tokens"]! + 50);
        Assert.Null(none["choices"]![0]!["message"]!["tool_calls"]);
    }

    [Fact]
    public async Task Earlier_calls_and_tool_results_are_rendered_by_the_template_as_transformers_does()
    {
        var messages = JsonNode.Parse("""
            [{"role":"user","content":"Weather in Paris?"},
             {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\",\"unit\":\"c\"}"}}]},
             {"role":"tool","tool_call_id":"call_1","content":"22 degrees"}]
            """)!.AsArray();
        var body = Request("auto");
        body["messages"] = messages.DeepClone();
        body["max_tokens"] = 1;
        var reply = await PostOkAsync(body);

        using var model = ModelLoader.Load(Fixtures.Path("gguf", ServerFixture.Qwen3 + ".gguf"));
        var expected = JsonNode.Parse(messages.ToJsonString())!.AsArray();
        expected[1]!["content"] = "";
        expected[1]!["tool_calls"]![0]!["function"]!["arguments"] = new JsonObject { ["city"] = "Paris", ["unit"] = "c" };
        var text = model.ChatTemplates!.Render(expected, WeatherTools.Both(), addGenerationPrompt: true);
        Assert.Contains("<tool_response>\n22 degrees\n</tool_response>", text);
        Assert.Contains("\"arguments\": {\"city\": \"Paris\", \"unit\": \"c\"}", text);
        Assert.Equal(model.RequireTokenizer().Encode(text, addSpecialTokens: false).Length, (int)reply["usage"]!["prompt_tokens"]!);
    }

    [Theory]
    [InlineData("""[{"type":"function","function":{"description":"x"}}]""", null, "tools[0].function.name")]
    [InlineData("""[{"type":"function","function":{"name":"has space"}}]""", null, "tools[0].function.name")]
    [InlineData("""[{"type":"function","function":{"name":"f"}},{"type":"function","function":{"name":"f"}}]""", null, "tools[1].function.name")]
    [InlineData("""[{"type":"retrieval","function":{"name":"f"}}]""", null, "tools[0].type")]
    [InlineData("""[{"type":"function"}]""", null, "tools[0].function")]
    [InlineData("""[{"type":"function","function":{"name":"f","parameters":"x"}}]""", null, "tools[0].function.parameters")]
    [InlineData("""[{"type":"function","function":{"name":"f","extra":1}}]""", null, "tools[0].function.extra")]
    [InlineData("""[{"type":"function","function":{"name":"f"},"other":1}]""", null, "tools[0].other")]
    [InlineData("""[7]""", null, "tools[0]")]
    [InlineData("""[{"type":"function","function":{"name":"f"}}]""", "\"sometimes\"", "tool_choice")]
    [InlineData("""[{"type":"function","function":{"name":"f"}}]""", """{"type":"function","function":{"name":"g"}}""", "tool_choice.function.name")]
    [InlineData("""[{"type":"function","function":{"name":"f"}}]""", """{"type":"function"}""", "tool_choice.function")]
    [InlineData("""[]""", "\"required\"", "tool_choice")]
    [InlineData("""[{"type":"function","function":{"name":"f","parameters":{"type":"array","uniqueItems":true}}}]""", "\"required\"", "tools[0].function.parameters")]
    public async Task Invalid_tool_definitions_and_choices_are_400s_naming_the_param(string tools, string? choice, string param)
    {
        var json = $$"""{"model":"{{ServerFixture.Qwen3}}","messages":[{"role":"user","content":"x"}],"tools":{{tools}}{{(choice is null ? "" : ",\"tool_choice\":" + choice)}}}""";
        var (status, body, _) = await server.PostAsync("/v1/chat/completions", json);
        Assert.Equal(400, status);
        Assert.Equal(param, (string?)body!["error"]!["param"]);
        Assert.Contains(param, (string?)body["error"]!["message"]);
    }

    [Fact]
    public async Task A_forced_call_cannot_be_combined_with_a_response_format()
    {
        var body = Request("required");
        body["response_format"] = new JsonObject { ["type"] = "json_object" };
        var (status, reply, _) = await server.PostAsync("/v1/chat/completions", body.ToJsonString());
        Assert.Equal(400, status);
        Assert.Equal("response_format", (string?)reply!["error"]!["param"]);
    }
}
