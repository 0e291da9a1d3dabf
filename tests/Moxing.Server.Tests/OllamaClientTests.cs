using System.Text;
using System.Text.Json.Nodes;
using OllamaSharp;
using OllamaSharp.Models;
using OllamaSharp.Models.Chat;

namespace Moxing.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class OllamaClientTests(ServerFixture server)
{
    private OllamaApiClient Client(string model) => new(server.Address, model);

    [Fact]
    public async Task Streaming_chat_is_the_greedy_reply_with_counts_and_durations()
    {
        using var client = Client(ServerFixture.Llama);
        var request = new ChatRequest
        {
            Model = ServerFixture.Llama,
            Messages = [new Message(ChatRole.User, "Hello there")],
            Options = new RequestOptions { NumPredict = 5, Temperature = 0 },
            Stream = true,
        };
        var text = new StringBuilder();
        ChatDoneResponseStream? done = null;
        await foreach (var chunk in client.ChatAsync(request))
        {
            text.Append(chunk?.Message.Content);
            if (chunk is ChatDoneResponseStream d) done = d;
        }
        Assert.Equal(ServerFixture.GreedyReply(ServerFixture.Llama, ServerFixture.UserMessage("Hello there"), 5), text.ToString());
        Assert.NotNull(done);
        Assert.True(done.Done);
        Assert.True(done.EvalCount is > 0 and <= 5);
        Assert.True(done.PromptEvalCount > 0);
        Assert.True(done.TotalDuration > 0);
    }

    [Fact]
    public async Task Generate_returns_the_context_to_continue_from()
    {
        var (status, body, _) = await server.PostAsync("/api/generate",
            """{"model":"qwen2-tiny","prompt":"Hi","stream":false,"options":{"num_predict":3,"temperature":0}}""");
        Assert.Equal(200, status);
        Assert.True((bool)body!["done"]!);
        var context = body["context"]!.AsArray();
        Assert.Equal((int)body["prompt_eval_count"]! + (int)body["eval_count"]!, context.Count);
        Assert.True((long)body["eval_duration"]! > 0);
    }

    [Fact]
    public async Task Streamed_lines_are_ndjson_ending_with_done()
    {
        var response = await server.Http.PostAsync("/api/chat",
            new StringContent("""{"model":"llama-tiny","messages":[{"role":"user","content":"Hi"}],"options":{"num_predict":3}}"""));
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType!.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.All(lines[..^1], l => Assert.False((bool)l["done"]!));
        Assert.True((bool)lines[^1]["done"]!);
        Assert.Equal("length", (string?)lines[^1]["done_reason"]);
    }

    [Fact]
    public async Task Embed_tags_show_ps_and_version()
    {
        using var client = Client(ServerFixture.Bert);
        var embed = await client.EmbedAsync(new EmbedRequest { Model = ServerFixture.Bert, Input = ["hello", "world"] });
        Assert.Equal(2, embed.Embeddings.Count);
        Assert.Equal(1f, MathF.Sqrt(embed.Embeddings[0].Sum(x => x * x)), 3);

        var tags = (await client.ListLocalModelsAsync()).Select(m => m.Name).ToList();
        Assert.Contains("llama-tiny:latest", tags);
        Assert.Contains("bert-tiny:latest", tags);

        var show = await client.ShowModelAsync(ServerFixture.Llama);
        Assert.Equal(["completion"], show.Capabilities!);
        Assert.Contains("im_start", show.Template);
        // Qwen3's template renders tools in its Hermes call format and writes think blocks
        Assert.Equal(["completion", "tools", "thinking"], (await client.ShowModelAsync(ServerFixture.Qwen3)).Capabilities!);
        Assert.Equal(["embedding"], (await client.ShowModelAsync("bert-tiny")).Capabilities!);
        Assert.Equal("llama", show.Details!.Family);

        var running = (await client.ListRunningModelsAsync()).ToList();
        Assert.Contains(running, m => m.Name == "bert-tiny:latest" && m.ExpiresAt > DateTime.UtcNow);

        Assert.NotNull(await client.GetVersionAsync());
    }

    [Fact]
    public async Task Keep_alive_zero_unloads_after_the_request()
    {
        var (status, body, _) = await server.PostAsync("/api/generate", """{"model":"qwen2-tiny","keep_alive":0}""");
        Assert.Equal(200, status);
        Assert.Equal("unload", (string?)body!["done_reason"]);
        Assert.DoesNotContain(server.Server.Models.Resident(), r => r.Name == ServerFixture.Qwen);
    }

    [Fact]
    public async Task Placement_hints_and_samplers_at_their_off_values_are_accepted_as_clients_send_them()
    {
        // the options LangChain's and Continue's Ollama clients send beside the sampling ones
        var (status, body, _) = await server.PostAsync("/api/chat", """
            {"model":"llama-tiny","messages":[{"role":"user","content":"Hi"}],"stream":false,"options":{"num_predict":3,"num_ctx":512,
             "num_gpu":99,"main_gpu":0,"num_thread":2,"num_batch":512,"num_keep":4,"use_mmap":true,"use_mlock":false,"numa":false,
             "low_vram":false,"f16_kv":true,"penalize_newline":true,"typical_p":1.0,"tfs_z":1.0,"mirostat":0,"mirostat_tau":5.0,
             "mirostat_eta":0.1,"repeat_last_n":32,"repeat_penalty":1.2}}
            """);
        Assert.Equal(200, status);
        Assert.Equal(3, (int)body!["eval_count"]!);
    }

    [Theory]
    [InlineData("""{"model":"llama-tiny","messages":[],"options":{"mirostat":1}}""", "options.mirostat")]
    [InlineData("""{"model":"llama-tiny","messages":[],"options":{"typical_p":0.7}}""", "options.typical_p")]
    [InlineData("""{"model":"llama-tiny","messages":[],"options":{"tfs_z":2}}""", "options.tfs_z")]
    [InlineData("""{"model":"llama-tiny","messages":[],"options":{"repeat_last_n":-2}}""", "options.repeat_last_n")]
    [InlineData("""{"model":"llama-tiny","messages":[],"format":"yaml"}""", "format")]
    [InlineData("""{"model":"llama-tiny","messages":[],"format":{"type":"array","uniqueItems":true}}""", "uniqueItems")]
    [InlineData("""{"model":"llama-tiny","messages":[],"keep_alive":"soon"}""", "keep_alive")]
    public async Task Unsupported_or_bad_fields_are_400s_with_an_error_string(string json, string field)
    {
        var (status, body, _) = await server.PostAsync("/api/chat", json);
        Assert.Equal(400, status);
        Assert.Contains(field, (string?)body!["error"]);
    }

    [Fact]
    public async Task Unknown_model_is_a_404()
    {
        var (status, body, _) = await server.PostAsync("/api/chat", """{"model":"nope","messages":[{"role":"user","content":"x"}]}""");
        Assert.Equal(404, status);
        Assert.Contains("nope", (string?)body!["error"]);
    }

    [Fact]
    public async Task Format_schema_constrains_the_reply()
    {
        var (status, body, _) = await server.PostAsync("/api/chat",
            """{"model":"llama-tiny","messages":[{"role":"user","content":"Pick"}],"stream":false,"options":{"num_predict":120,"seed":3},"format":{"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"],"additionalProperties":false}}""");
        Assert.Equal(200, status);
        var reply = JsonNode.Parse((string)body!["message"]!["content"]!)!;
        Assert.IsAssignableFrom<JsonValue>(reply["ok"]);
        Assert.Contains(reply["ok"]!.GetValueKind(), new[] { System.Text.Json.JsonValueKind.True, System.Text.Json.JsonValueKind.False });
    }
}
