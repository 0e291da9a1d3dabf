#pragma warning disable OPENAI001 // the SDK marks its Responses client as evaluation-only
using System.ClientModel;
using System.Text;
using System.Text.Json.Nodes;
using Moxing.Models;
using Moxing.Tests;
using OpenAI.Responses;

namespace Moxing.Server.Tests.Tools;

/// /v1/responses over exact model output (the engine writes what the prompt scripts): function-call round trips through the
/// OpenAI SDK, reasoning items, the streamed event sequence, incomplete replies, exact usage and 400s naming fields.
public sealed class ScriptedResponsesTests(ScriptedServerFixture server) : IClassFixture<ScriptedServerFixture>
{
    private const string Call = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": \"c\"}}\n</tool_call>";
    private const string Thought = "<think>\nThe user wants the capital.\nIt is Paris.\n</think>";
    private const string Reply = Thought + "\n\nParis.";

    private ResponsesClient Client() => new(new ApiKeyCredential("unused"), new ResponsesClientOptions { Endpoint = new Uri(server.Address, "v1") });

    private static JsonArray FlatTools() =>
    [
        new JsonObject { ["type"] = "function", ["name"] = "get_weather", ["description"] = "The weather in a city", ["parameters"] = JsonNode.Parse(WeatherTools.WeatherSchema) },
        new JsonObject { ["type"] = "function", ["name"] = "add", ["description"] = "Adds two numbers", ["parameters"] = JsonNode.Parse(WeatherTools.AddSchema) },
    ];

    private static JsonObject Request(string script, bool stream = false, JsonArray? tools = null)
    {
        var body = new JsonObject { ["model"] = ScriptedServerFixture.Model, ["input"] = ScriptedEngine.Marker + script, ["stream"] = stream };
        if (tools is not null) body["tools"] = tools;
        return body;
    }

    private async Task<JsonNode> PostOkAsync(JsonObject body)
    {
        var (status, text) = await server.PostAsync("/v1/responses", body);
        Assert.True(status == 200, text);
        return JsonNode.Parse(text)!;
    }

    private static int Tokens(string text)
    {
        using var model = ModelLoader.Load(Fixtures.Path("gguf", ScriptedServerFixture.Model + ".gguf"));
        return model.RequireTokenizer().Encode(text, addSpecialTokens: false).Length;
    }

    // (event line, data) of each server-sent event
    private static List<(string Event, JsonNode Data)> Events(string text) =>
        text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(block =>
        {
            var lines = block.Split('\n');
            Assert.StartsWith("event: ", lines[0]);
            Assert.StartsWith("data: ", lines[1]);
            return (lines[0]["event: ".Length..], JsonNode.Parse(lines[1]["data: ".Length..])!);
        }).ToList();

    [Fact]
    public async Task Sdk_function_call_round_trip_renders_the_call_and_its_output_as_chat_does()
    {
        var tool = ResponseTool.CreateFunctionTool("get_weather", BinaryData.FromString(WeatherTools.WeatherSchema), strictModeEnabled: true, "The weather in a city");
        var first = new CreateResponseOptions(ScriptedServerFixture.Model, [ResponseItem.CreateUserMessageItem(ScriptedEngine.Marker + Call)]);
        first.Tools.Add(tool);
        ResponseResult called = await Client().CreateResponseAsync(first);
        var call = Assert.IsType<FunctionCallResponseItem>(Assert.Single(called.OutputItems));
        Assert.Equal("get_weather", call.FunctionName);
        Assert.StartsWith("call_", call.CallId);
        Assert.Equal("""{"city": "Paris", "unit": "c"}""", call.FunctionArguments.ToString());
        Assert.Equal(ResponseStatus.Completed, called.Status);

        var second = new CreateResponseOptions(ScriptedServerFixture.Model,
            [ResponseItem.CreateUserMessageItem("Weather in Paris?"), call, ResponseItem.CreateFunctionCallOutputItem(call.CallId, ScriptedEngine.Marker + "It is 22 degrees.")]);
        second.Tools.Add(tool);
        ResponseResult answered = await Client().CreateResponseAsync(second);
        Assert.StartsWith("It is 22 degrees.", answered.GetOutputText());

        // the chat endpoint renders the same conversation to the same prompt
        var chat = new JsonObject
        {
            ["model"] = ScriptedServerFixture.Model,
            ["messages"] = JsonNode.Parse($$$"""
                [{"role":"user","content":"Weather in Paris?"},
                 {"role":"assistant","content":"","tool_calls":[{"id":"{{{call.CallId}}}","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Paris\", \"unit\": \"c\"}"}}]},
                 {"role":"tool","tool_call_id":"{{{call.CallId}}}","content":"SAY:It is 22 degrees."}]
                """),
            ["tools"] = new JsonArray(WeatherTools.Function("get_weather", "The weather in a city", WeatherTools.WeatherSchema)),
            ["max_tokens"] = 1,
        };
        // the SDK sent the tool as strict, and the template shows the model the whole definition
        chat["tools"]![0]!["function"]!["strict"] = true;
        var (status, text) = await server.PostAsync("/v1/chat/completions", chat);
        Assert.Equal(200, status);
        Assert.Equal((int)JsonNode.Parse(text)!["usage"]!["prompt_tokens"]!, answered.Usage.InputTokenCount);
    }

    [Fact]
    public async Task Sdk_stream_carries_reasoning_deltas_then_the_answer()
    {
        var options = new CreateResponseOptions(ScriptedServerFixture.Model, [ResponseItem.CreateUserMessageItem(ScriptedEngine.Marker + Reply)]) { StreamingEnabled = true };
        StringBuilder reasoning = new(), answer = new();
        ResponseResult? done = null;
        await foreach (var update in Client().CreateResponseStreamingAsync(options))
        {
            if (update is StreamingResponseReasoningTextDeltaUpdate r) reasoning.Append(r.Delta);
            if (update is StreamingResponseOutputTextDeltaUpdate t) answer.Append(t.Delta);
            if (update is StreamingResponseCompletedUpdate c) done = c.Response;
        }
        Assert.Equal("The user wants the capital.\nIt is Paris.", reasoning.ToString());
        Assert.Equal("Paris.", answer.ToString());
        Assert.NotNull(done);
        Assert.IsType<ReasoningResponseItem>(done.OutputItems[0]);
        Assert.Equal("Paris.", done.GetOutputText());
        Assert.Equal(Tokens(Thought), done.Usage.OutputTokenDetails.ReasoningTokenCount);
    }

    [Fact]
    public async Task Reasoning_is_an_item_of_its_own_with_exact_usage()
    {
        var reply = await PostOkAsync(Request(Reply));
        Assert.Equal("response", (string?)reply["object"]);
        Assert.Equal("completed", (string?)reply["status"]);
        var output = reply["output"]!.AsArray();
        Assert.Equal(["reasoning", "message"], output.Select(o => (string?)o!["type"]));
        Assert.StartsWith("rs_", (string?)output[0]!["id"]);
        Assert.Equal("reasoning_text", (string?)output[0]!["content"]![0]!["type"]);
        Assert.Equal("The user wants the capital.\nIt is Paris.", (string?)output[0]!["content"]![0]!["text"]);
        Assert.Empty(output[0]!["summary"]!.AsArray());
        Assert.Equal("Paris.", (string?)output[1]!["content"]![0]!["text"]);
        Assert.Equal("assistant", (string?)output[1]!["role"]);
        var usage = reply["usage"]!;
        Assert.Equal(Tokens(Reply), (int)usage["output_tokens"]!);
        Assert.Equal(Tokens(Thought), (int)usage["output_tokens_details"]!["reasoning_tokens"]!);
        Assert.Equal((int)usage["input_tokens"]! + (int)usage["output_tokens"]!, (int)usage["total_tokens"]!);
        Assert.Equal(0, (int)usage["input_tokens_details"]!["cached_tokens"]!);

        // a summary asked for is the whole reasoning (nothing here summarizes it)
        var body = Request(Reply);
        body["reasoning"] = new JsonObject { ["summary"] = "auto" };
        var summarized = await PostOkAsync(body);
        Assert.Equal("The user wants the capital.\nIt is Paris.", (string?)summarized["output"]![0]!["summary"]![0]!["text"]);
        Assert.Equal("auto", (string?)summarized["reasoning"]!["summary"]);
    }

    [Fact]
    public async Task Stream_sends_every_event_of_reasoning_message_and_call_in_order()
    {
        var (status, text) = await server.PostAsync("/v1/responses", Request(Reply[..^"Paris.".Length] + "Let me check.\n" + Call, stream: true, FlatTools()));
        Assert.Equal(200, status);
        Assert.DoesNotContain("[DONE]", text);
        var events = Events(text);
        Assert.All(events, e => Assert.Equal(e.Event, (string?)e.Data["type"]));
        Assert.Equal(Enumerable.Range(0, events.Count), events.Select(e => (int)e.Data["sequence_number"]!));
        // consecutive deltas collapsed
        var names = events.Select(e => e.Event).Where((e, i) => i == 0 || !e.EndsWith(".delta") || events[i - 1].Event != e).ToList();
        string[] expected =
        [
            "response.created", "response.in_progress",
            "response.output_item.added", "response.content_part.added", "response.reasoning_text.delta", "response.reasoning_text.done",
            "response.content_part.done", "response.output_item.done",
            "response.output_item.added", "response.content_part.added", "response.output_text.delta", "response.output_text.done",
            "response.content_part.done", "response.output_item.done",
            "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.done", "response.output_item.done",
            "response.completed",
        ];
        Assert.Equal(expected, names);
        Assert.Equal("in_progress", (string?)events[0].Data["response"]!["status"]);
        Assert.Empty(events[0].Data["response"]!["output"]!.AsArray());

        string Deltas(string type) => string.Concat(events.Where(e => e.Event == type).Select(e => (string?)e.Data["delta"]));
        Assert.Equal("The user wants the capital.\nIt is Paris.", Deltas("response.reasoning_text.delta"));
        Assert.Equal("Let me check.\n", Deltas("response.output_text.delta"));
        Assert.Equal("""{"city": "Paris", "unit": "c"}""", Deltas("response.function_call_arguments.delta"));
        var argumentsDone = events.Single(e => e.Event == "response.function_call_arguments.done").Data;
        Assert.Equal("get_weather", (string?)argumentsDone["name"]);
        Assert.Equal("""{"city": "Paris", "unit": "c"}""", (string?)argumentsDone["arguments"]);
        Assert.Equal("Let me check.\n", (string?)events.Single(e => e.Event == "response.output_text.done").Data["text"]);

        var added = events.Where(e => e.Event == "response.output_item.added").Select(e => e.Data).ToList();
        Assert.Equal([0, 1, 2], added.Select(a => (int)a["output_index"]!));
        Assert.All(added, a => Assert.Equal("in_progress", (string?)a["item"]!["status"]));
        var message = added[1]["item"]!;
        Assert.All(events.Where(e => e.Event == "response.output_text.delta"), e =>
        {
            Assert.Equal((string?)message["id"], (string?)e.Data["item_id"]);
            Assert.Equal(1, (int)e.Data["output_index"]!);
            Assert.Equal(0, (int)e.Data["content_index"]!);
        });

        var final = events[^1].Data["response"]!;
        Assert.Equal("completed", (string?)final["status"]);
        Assert.Equal(["reasoning", "message", "function_call"], final["output"]!.AsArray().Select(o => (string?)o!["type"]));
        var call = final["output"]![2]!;
        Assert.Equal("completed", (string?)call["status"]);
        Assert.StartsWith("fc_", (string?)call["id"]);
        Assert.StartsWith("call_", (string?)call["call_id"]);
        Assert.Equal(Tokens(Thought), (int)final["usage"]!["output_tokens_details"]!["reasoning_tokens"]!);
    }

    [Fact]
    public async Task A_failure_after_the_headers_ends_the_stream_with_error_and_response_failed()
    {
        var (status, text) = await server.PostAsync("/v1/responses", Request("Partial answer" + ScriptedEngine.Failure, stream: true));
        Assert.Equal(200, status);
        var events = Events(text);
        Assert.Equal(["error", "response.failed"], events[^2..].Select(e => e.Event));
        Assert.Contains("the scripted engine failed", (string?)events[^2].Data["message"]);
        var failed = events[^1].Data["response"]!;
        Assert.Equal("failed", (string?)failed["status"]);
        Assert.Contains("the scripted engine failed", (string?)failed["error"]!["message"]);
        Assert.Equal(Enumerable.Range(0, events.Count), events.Select(e => (int)e.Data["sequence_number"]!));
    }

    [Fact]
    public async Task Parallel_calls_off_keeps_the_first_and_whitespace_around_calls_makes_no_message()
    {
        var body = Request(Call + "\n" + Call.Replace("Paris", "Rome"), tools: FlatTools());
        var reply = await PostOkAsync(body);
        Assert.Equal(["function_call", "function_call"], reply["output"]!.AsArray().Select(o => (string?)o!["type"]));
        body["parallel_tool_calls"] = false;
        reply = await PostOkAsync(body);
        var call = Assert.Single(reply["output"]!.AsArray())!;
        Assert.Equal("""{"city": "Paris", "unit": "c"}""", (string?)call["arguments"]);
        Assert.False((bool)reply["parallel_tool_calls"]!);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_reply_cut_by_max_output_tokens_is_incomplete(bool stream)
    {
        var body = Request("one two three four five six seven", stream);
        body["max_output_tokens"] = 3;
        var (status, text) = await server.PostAsync("/v1/responses", body);
        Assert.Equal(200, status);
        var reply = stream ? Events(text)[^1].Data["response"]! : JsonNode.Parse(text)!;
        if (stream) Assert.Equal("response.incomplete", Events(text)[^1].Event);
        Assert.Equal("incomplete", (string?)reply["status"]);
        Assert.Equal("max_output_tokens", (string?)reply["incomplete_details"]!["reason"]);
        Assert.Equal("incomplete", (string?)reply["output"]![0]!["status"]);
        Assert.Equal(3, (int)reply["usage"]!["output_tokens"]!);
        Assert.Equal(3, (int)reply["max_output_tokens"]!);
    }

    [Fact]
    public async Task Settings_are_echoed_as_OpenAI_does()
    {
        var body = Request("Hi.", tools: FlatTools());
        body["instructions"] = "Be brief.";
        body["temperature"] = 0.5;
        body["top_p"] = 0.9;
        body["metadata"] = new JsonObject { ["run"] = "7" };
        body["user"] = "u1";
        body["store"] = false;
        body["tool_choice"] = "auto";
        body["text"] = new JsonObject { ["format"] = new JsonObject { ["type"] = "text" } };
        var reply = await PostOkAsync(body);
        Assert.Equal("Be brief.", (string?)reply["instructions"]);
        Assert.Equal(0.5, (double)reply["temperature"]!);
        Assert.Equal(0.9, (double)reply["top_p"]!);
        Assert.Equal("7", (string?)reply["metadata"]!["run"]);
        Assert.Equal("u1", (string?)reply["user"]);
        Assert.False((bool)reply["store"]!);
        Assert.Equal("auto", (string?)reply["tool_choice"]);
        Assert.Equal("text", (string?)reply["text"]!["format"]!["type"]);
        Assert.Equal(["get_weather", "add"], reply["tools"]!.AsArray().Select(t => (string?)t!["name"]));
        Assert.True((bool)reply["tools"]![0]!["strict"]!);
        Assert.Equal("disabled", (string?)reply["truncation"]);
        Assert.Equal("Hi.", (string?)reply["output"]![0]!["content"]![0]!["text"]);
    }

    [Fact]
    public async Task Effort_none_turns_thinking_off_in_the_template()
    {
        var plain = await PostOkAsync(Request("Hi."));
        var body = Request("Hi.");
        body["reasoning"] = new JsonObject { ["effort"] = "none" };
        var off = await PostOkAsync(body);
        // Qwen3's template writes an empty think block into the prompt when thinking is off
        Assert.Equal(Tokens("<think>\n\n</think>\n\n"), (int)off["usage"]!["input_tokens"]! - (int)plain["usage"]!["input_tokens"]!);
        Assert.Equal("none", (string?)off["reasoning"]!["effort"]);
    }

    [Theory]
    [InlineData("\"frobnicate\":1", "frobnicate")]
    [InlineData("\"tools\":[{\"type\":\"web_search\"}]", "tools[0].type")]
    [InlineData("\"tools\":[{\"type\":\"function\"}]", "tools[0].name")]
    [InlineData("\"tools\":[{\"type\":\"function\",\"name\":\"f\",\"extra\":1}]", "tools[0].extra")]
    [InlineData("\"tools\":[{\"type\":\"function\",\"name\":\"f\"}],\"tool_choice\":{\"type\":\"function\",\"name\":\"g\"}", "tool_choice.name")]
    [InlineData("\"tools\":[{\"type\":\"function\",\"name\":\"f\"}],\"tool_choice\":{\"type\":\"file_search\"}", "tool_choice.type")]
    [InlineData("\"store\":true", "store")]
    [InlineData("\"previous_response_id\":\"resp_1\"", "previous_response_id")]
    [InlineData("\"include\":[\"reasoning.encrypted_content\"]", "include[0]")]
    [InlineData("\"reasoning\":{\"effort\":\"extreme\"}", "reasoning.effort")]
    [InlineData("\"reasoning\":{\"summary\":\"long\"}", "reasoning.summary")]
    [InlineData("\"text\":{\"format\":{\"type\":\"xml\"}}", "text.format.type")]
    [InlineData("\"text\":{\"format\":{\"type\":\"json_schema\",\"schema\":{}}}", "text.format.name")]
    [InlineData("\"text\":{\"verbosity\":\"low\"}", "text.verbosity")]
    [InlineData("\"truncation\":\"auto\"", "truncation")]
    [InlineData("\"metadata\":{\"a\":1}", "metadata")]
    [InlineData("\"max_output_tokens\":0", "max_output_tokens")]
    [InlineData("\"temperature\":3", "temperature")]
    public async Task Bad_or_unsupported_fields_are_400s_naming_them(string field, string param)
    {
        var json = $$"""{"model":"{{ScriptedServerFixture.Model}}","input":"SAY:x",{{field}}}""";
        var (status, text) = await server.PostAsync("/v1/responses", JsonNode.Parse(json)!);
        Assert.Equal(400, status);
        var error = JsonNode.Parse(text)!["error"]!;
        Assert.Equal(param, (string?)error["param"]);
        Assert.Contains(param, (string?)error["message"]);
    }

    [Theory]
    [InlineData("""[{"role":"tool","content":"x"}]""", "input[0].role")]
    [InlineData("""[{"role":"user"}]""", "input[0].content")]
    [InlineData("""[{"role":"user","content":[{"type":"input_image","image_url":"http://x"}]}]""", "input[0].content[0].image_url")]
    [InlineData("""[{"type":"item_reference","id":"msg_1"}]""", "input[0].type")]
    [InlineData("""[{"type":"computer_call_output","call_id":"c"}]""", "input[0].type")]
    [InlineData("""[{"type":"function_call","name":"f","arguments":"{}"}]""", "input[0].call_id")]
    [InlineData("""[{"type":"function_call_output","call_id":"c","output":7}]""", "input[0].output")]
    [InlineData("""[{"type":"reasoning","summary":[],"encrypted_content":"abc"}]""", "input[0].encrypted_content")]
    [InlineData("""[{"role":"user","content":"x","extra":1}]""", "input[0].extra")]
    [InlineData("""[]""", "input")]
    [InlineData("""7""", "input")]
    public async Task Bad_input_items_are_400s_naming_them(string input, string param)
    {
        var json = $$"""{"model":"{{ScriptedServerFixture.Model}}","input":{{input}}}""";
        var (status, text) = await server.PostAsync("/v1/responses", JsonNode.Parse(json)!);
        Assert.Equal(400, status);
        var error = JsonNode.Parse(text)!["error"]!;
        Assert.Equal(param, (string?)error["param"]);
        Assert.Contains(param, (string?)error["message"]);
    }

    [Fact]
    public async Task Input_items_render_as_the_equivalent_chat_messages()
    {
        var input = JsonNode.Parse("""
            [{"role":"developer","content":"Be brief."},
             {"type":"message","role":"user","content":[{"type":"input_text","text":"Weather "},{"type":"input_text","text":"in Paris?"}]},
             {"type":"reasoning","id":"rs_1","summary":[],"content":[{"type":"reasoning_text","text":"Use the tool."}]},
             {"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Checking.","annotations":[]}]},
             {"type":"function_call","id":"fc_1","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\",\"unit\":\"c\"}","status":"completed"},
             {"type":"function_call_output","call_id":"call_1","output":"SAY:Sunny."}]
            """)!;
        var body = new JsonObject { ["model"] = ScriptedServerFixture.Model, ["input"] = input, ["tools"] = FlatTools(), ["max_output_tokens"] = 1 };
        var reply = await PostOkAsync(body);
        var chat = new JsonObject
        {
            ["model"] = ScriptedServerFixture.Model,
            ["messages"] = JsonNode.Parse("""
                [{"role":"developer","content":"Be brief."},
                 {"role":"user","content":"Weather in Paris?"},
                 {"role":"assistant","content":"Checking.","reasoning_content":"Use the tool.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\",\"unit\":\"c\"}"}}]},
                 {"role":"tool","tool_call_id":"call_1","name":"get_weather","content":"SAY:Sunny."}]
                """),
            ["tools"] = WeatherTools.Both(),
            ["max_tokens"] = 1,
        };
        var (status, text) = await server.PostAsync("/v1/chat/completions", chat);
        Assert.Equal(200, status);
        Assert.Equal((int)JsonNode.Parse(text)!["usage"]!["prompt_tokens"]!, (int)reply["usage"]!["input_tokens"]!);
    }
}
