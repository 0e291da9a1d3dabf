using System.Text.Json.Nodes;

namespace Moxing.Server.Tests.Tools;

/// A thinking model's think block (Qwen3's template writes them) split off from its answer: OpenAI's reasoning_content
/// (whole and streamed, as llama.cpp and vLLM send it) and Ollama's thinking (think: true). The engine writes the scripted reply.
public sealed class ScriptedReasoningTests(ScriptedServerFixture server) : IClassFixture<ScriptedServerFixture>
{
    private const string Reply = "<think>\nThe user wants the capital.\nIt is Paris.\n</think>\n\nParis.";

    private static JsonObject Request(string script, bool stream, JsonNode? tools = null)
    {
        var body = new JsonObject
        {
            ["model"] = ScriptedServerFixture.Model,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = ScriptedEngine.Marker + script }),
            ["stream"] = stream,
        };
        if (tools is not null) body["tools"] = tools;
        return body;
    }

    [Fact]
    public async Task OpenAi_reply_has_the_reasoning_apart_from_the_answer()
    {
        var (status, text) = await server.PostAsync("/v1/chat/completions", Request(Reply, stream: false));
        Assert.Equal(200, status);
        var message = JsonNode.Parse(text)!["choices"]![0]!["message"]!;
        Assert.Equal("The user wants the capital.\nIt is Paris.", (string?)message["reasoning_content"]);
        Assert.Equal("Paris.", (string?)message["content"]);
    }

    [Fact]
    public async Task OpenAi_stream_sends_reasoning_deltas_then_content_deltas_and_never_the_tags()
    {
        var (status, text) = await server.PostAsync("/v1/chat/completions", Request(Reply, stream: true));
        Assert.Equal(200, status);
        var deltas = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[..^1]
            .Select(e => JsonNode.Parse(e["data: ".Length..])!["choices"]![0]!["delta"]!).ToList();
        Assert.Equal("The user wants the capital.\nIt is Paris.", string.Concat(deltas.Select(d => (string?)d["reasoning_content"])));
        Assert.Equal("Paris.", string.Concat(deltas.Select(d => (string?)d["content"])));
        var lastReasoning = deltas.FindLastIndex(d => d["reasoning_content"] is not null);
        Assert.True(lastReasoning < deltas.FindIndex(d => (string?)d["content"] is { Length: > 0 }));
        Assert.DoesNotContain("think>", text);
    }

    [Fact]
    public async Task OpenAi_reasoning_format_none_keeps_the_think_block_in_the_content()
    {
        var body = Request(Reply, stream: false);
        body["reasoning_format"] = "none";
        var (_, text) = await server.PostAsync("/v1/chat/completions", body);
        var message = JsonNode.Parse(text)!["choices"]![0]!["message"]!;
        Assert.Equal(Reply, (string?)message["content"]);
        Assert.Null(message["reasoning_content"]);
        body["reasoning_format"] = "sometimes";
        var (status, error) = await server.PostAsync("/v1/chat/completions", body);
        Assert.Equal(400, status);
        Assert.Equal("reasoning_format", (string?)JsonNode.Parse(error)!["error"]!["param"]);
    }

    [Fact]
    public async Task OpenAi_tool_calls_after_the_reasoning_are_parsed_and_markup_inside_it_is_not()
    {
        const string script = "<think>\nA <tool_call> here is only a thought.\n</think>\n\n<tool_call>\n"
            + "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";
        var (_, text) = await server.PostAsync("/v1/chat/completions", Request(script, stream: false, WeatherTools.Both()));
        var choice = JsonNode.Parse(text)!["choices"]![0]!;
        Assert.Equal("A <tool_call> here is only a thought.", (string?)choice["message"]!["reasoning_content"]);
        var call = Assert.Single(choice["message"]!["tool_calls"]!.AsArray());
        Assert.Equal("get_weather", (string?)call!["function"]!["name"]);
        Assert.Equal("tool_calls", (string?)choice["finish_reason"]);
    }

    [Fact]
    public async Task Ollama_think_true_gives_thinking_whole_and_streamed()
    {
        var body = Request(Reply, stream: false);
        body["think"] = true;
        var (status, text) = await server.PostAsync("/api/chat", body);
        Assert.Equal(200, status);
        var message = JsonNode.Parse(text)!["message"]!;
        Assert.Equal("The user wants the capital.\nIt is Paris.", (string?)message["thinking"]);
        Assert.Equal("Paris.", (string?)message["content"]);

        body["stream"] = true;
        var (_, lines) = await server.PostAsync("/api/chat", body);
        var messages = lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!["message"]!).ToList();
        Assert.Equal("The user wants the capital.\nIt is Paris.", string.Concat(messages.Select(m => (string?)m["thinking"])));
        Assert.Equal("Paris.", string.Concat(messages.Select(m => (string?)m["content"])));

        // without think the reply is passed on as the model wrote it
        body.Remove("think");
        body["stream"] = false;
        var (_, raw) = await server.PostAsync("/api/chat", body);
        Assert.Equal(Reply, (string?)JsonNode.Parse(raw)!["message"]!["content"]);
    }

    [Fact]
    public async Task Reasoning_effort_none_turns_thinking_off_and_other_efforts_are_checked()
    {
        async Task<(int Status, JsonNode Body)> Chat(string? effort)
        {
            var body = Request(Reply, stream: false);
            if (effort is not null) body["reasoning_effort"] = effort;
            var (status, text) = await server.PostAsync("/v1/chat/completions", body);
            return (status, JsonNode.Parse(text)!);
        }
        var plain = await Chat(null);
        var off = await Chat("none");
        // Qwen3's template closes an empty think block in the prompt when enable_thinking is false
        Assert.True((int)off.Body["usage"]!["prompt_tokens"]! > (int)plain.Body["usage"]!["prompt_tokens"]!);
        Assert.Equal(200, (await Chat("high")).Status);
        var bad = await Chat("extreme");
        Assert.Equal(400, bad.Status);
        Assert.Equal("reasoning_effort", (string?)bad.Body["error"]!["param"]);
    }

    [Fact]
    public async Task Ollama_think_levels_split_the_thinking_and_other_strings_are_refused()
    {
        var body = Request(Reply, stream: false);
        body["think"] = "high";
        var (status, text) = await server.PostAsync("/api/chat", body);
        Assert.Equal(200, status);
        Assert.Equal("The user wants the capital.\nIt is Paris.", (string?)JsonNode.Parse(text)!["message"]!["thinking"]);
        body["think"] = "max";
        var (badStatus, error) = await server.PostAsync("/api/chat", body);
        Assert.Equal(400, badStatus);
        Assert.Contains("think", (string?)JsonNode.Parse(error)!["error"]);
    }

    private const string HarmonyReply = "<|channel|>analysis<|message|>The capital is Paris.<|end|><|start|>assistant<|channel|>final<|message|>Paris.";

    [Fact]
    public async Task Harmony_replies_split_analysis_from_the_final_message_on_every_api()
    {
        var body = Request(HarmonyReply, stream: false);
        body["model"] = ScriptedServerFixture.Harmony;
        var (status, text) = await server.PostAsync("/v1/chat/completions", body);
        Assert.Equal(200, status);
        var message = JsonNode.Parse(text)!["choices"]![0]!["message"]!;
        Assert.Equal(("The capital is Paris.", "Paris."), ((string?)message["reasoning_content"], (string?)message["content"]));

        body["stream"] = true;
        var (_, events) = await server.PostAsync("/v1/chat/completions", body);
        var deltas = events.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[..^1]
            .Select(e => JsonNode.Parse(e["data: ".Length..])!["choices"]![0]!["delta"]!).ToList();
        Assert.Equal("The capital is Paris.", string.Concat(deltas.Select(d => (string?)d["reasoning_content"])));
        Assert.Equal("Paris.", string.Concat(deltas.Select(d => (string?)d["content"])));
        Assert.DoesNotContain("<|", events);

        // Ollama splits a harmony reply whether or not think is set, as it does gpt-oss's
        body["stream"] = false;
        var (_, ollama) = await server.PostAsync("/api/chat", body);
        var reply = JsonNode.Parse(ollama)!["message"]!;
        Assert.Equal(("The capital is Paris.", "Paris."), ((string?)reply["thinking"], (string?)reply["content"]));

        // reasoning_format none: the reply as the model wrote it, markup included
        body["reasoning_format"] = "none";
        var (_, raw) = await server.PostAsync("/v1/chat/completions", body);
        Assert.Equal(HarmonyReply, (string?)JsonNode.Parse(raw)!["choices"]![0]!["message"]!["content"]);
    }
}
