using System.Text.Json.Nodes;

namespace Moxing.Server.Tests.Tools;

/// tool_choice auto for a model with Qwen3-Coder's real template: its XML calls are parsed out of the reply, whole and
/// streamed, with each value typed by the tool's schema; a forced call is refused by name, as XML arguments are not enforced.
public sealed class ScriptedXmlToolCallTests(ScriptedServerFixture server) : IClassFixture<ScriptedServerFixture>
{
    // city is declared a string: "0042" stays one; a and b are integers.
    private const string Reply = "I'll look.\n<tool_call>\n<function=get_weather>\n<parameter=city>\n0042\n</parameter>\n<parameter=unit>\nc\n</parameter>\n"
        + "</function>\n</tool_call>\n<tool_call>\n<function=add>\n<parameter=a>\n2\n</parameter>\n<parameter=b>\n3\n</parameter>\n</function>\n</tool_call>";

    private static JsonObject Request(bool stream) => new()
    {
        ["model"] = ScriptedServerFixture.Coder,
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = ScriptedEngine.Marker + Reply }),
        ["tools"] = WeatherTools.Both(),
        ["stream"] = stream,
    };

    [Fact]
    public async Task OpenAi_reply_splits_into_content_and_typed_calls()
    {
        var (status, text) = await server.PostAsync("/v1/chat/completions", Request(stream: false));
        Assert.Equal(200, status);
        var choice = JsonNode.Parse(text)!["choices"]![0]!;
        Assert.Equal("tool_calls", (string?)choice["finish_reason"]);
        Assert.Equal("I'll look.\n", (string?)choice["message"]!["content"]);
        var calls = choice["message"]!["tool_calls"]!.AsArray();
        Assert.Equal(["get_weather", "add"], calls.Select(c => (string?)c!["function"]!["name"]));
        Assert.Equal("""{"city":"0042","unit":"c"}""", (string?)calls[0]!["function"]!["arguments"]);
        Assert.Equal("""{"a":2,"b":3}""", (string?)calls[1]!["function"]!["arguments"]);
    }

    [Fact]
    public async Task OpenAi_stream_gives_the_same_calls_and_no_markup()
    {
        var (status, text) = await server.PostAsync("/v1/chat/completions", Request(stream: true));
        Assert.Equal(200, status);
        var choices = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[..^1]
            .Select(e => JsonNode.Parse(e["data: ".Length..])!["choices"]![0]!).ToList();
        Assert.Equal("I'll look.\n", string.Concat(choices.Select(c => (string?)c["delta"]!["content"])));
        var pieces = choices.Select(c => c["delta"]!["tool_calls"]?[0]).OfType<JsonNode>().ToList();
        string Arguments(int index) => string.Concat(pieces.Where(p => (int)p["index"]! == index).Select(p => (string?)p["function"]!["arguments"]));
        Assert.Equal("""{"city":"0042","unit":"c"}""", Arguments(0));
        Assert.Equal("""{"a":2,"b":3}""", Arguments(1));
        Assert.Equal("tool_calls", (string?)choices[^1]["finish_reason"]);
    }

    [Fact]
    public async Task Ollama_gets_the_arguments_as_objects()
    {
        var (status, text) = await server.PostAsync("/api/chat", Request(stream: false));
        Assert.Equal(200, status);
        var calls = JsonNode.Parse(text)!["message"]!["tool_calls"]!.AsArray();
        Assert.Equal("0042", (string?)calls[0]!["function"]!["arguments"]!["city"]);
        Assert.Equal(3, (int)calls[1]!["function"]!["arguments"]!["b"]!);
    }

    [Fact]
    public async Task A_forced_call_is_refused_naming_the_format()
    {
        var body = Request(stream: false);
        body["tool_choice"] = "required";
        var (status, text) = await server.PostAsync("/v1/chat/completions", body);
        Assert.Equal(400, status);
        var error = JsonNode.Parse(text)!["error"]!;
        Assert.Equal("tool_choice", (string?)error["param"]);
        Assert.Contains("Qwen3CoderXml", (string?)error["message"]);
    }
}
