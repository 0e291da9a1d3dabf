#pragma warning disable OPENAI001 // the SDK marks its Responses client as evaluation-only
using System.ClientModel;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Responses;

namespace Moxing.Server.Tests.OpenAi;

/// The official OpenAI .NET SDK's Responses client (and Microsoft.Extensions.AI over it) against /v1/responses on the real engine.
[Collection(ServerCollection.Name)]
public sealed class ResponsesClientTests(ServerFixture server)
{
    private ResponsesClient Client() => new(new ApiKeyCredential("unused"), new ResponsesClientOptions { Endpoint = new Uri(server.Address, "v1") });

    private static CreateResponseOptions Options(string model, string text, int maxTokens) =>
        new(model, [ResponseItem.CreateUserMessageItem(text)]) { MaxOutputTokenCount = maxTokens, Temperature = 0 };

    [Fact]
    public async Task Plain_reply_is_the_greedy_reply_with_exact_usage()
    {
        ResponseResult response = await Client().CreateResponseAsync(Options(ServerFixture.Llama, "Hello there", 6));
        Assert.Equal(ServerFixture.GreedyReply(ServerFixture.Llama, ServerFixture.UserMessage("Hello there"), 6), response.GetOutputText());
        Assert.StartsWith("resp_", response.Id);
        var message = Assert.IsAssignableFrom<MessageResponseItem>(Assert.Single(response.OutputItems));
        Assert.Equal(MessageRole.Assistant, message.Role);
        var (status, chat, _) = await server.PostAsync("/v1/chat/completions",
            """{"model":"llama-tiny","messages":[{"role":"user","content":"Hello there"}],"max_tokens":6,"temperature":0}""");
        Assert.Equal(200, status);
        // the same prompt tokens as the chat endpoint renders for the same conversation
        Assert.Equal((int)chat!["usage"]!["prompt_tokens"]!, response.Usage.InputTokenCount);
        Assert.Equal((int)chat["usage"]!["completion_tokens"]!, response.Usage.OutputTokenCount);
        Assert.Equal(response.Usage.InputTokenCount + response.Usage.OutputTokenCount, response.Usage.TotalTokenCount);
        Assert.Equal(response.Usage.OutputTokenCount == 6 ? ResponseStatus.Incomplete : ResponseStatus.Completed, response.Status);
        Assert.Equal(6, response.MaxOutputTokenCount);
    }

    [Fact]
    public async Task Streaming_gives_the_same_text_and_ends_with_the_whole_response()
    {
        var text = new StringBuilder();
        ResponseResult? last = null;
        var sequence = new List<int>();
        var options = Options(ServerFixture.Qwen, "Tell me", 6);
        options.StreamingEnabled = true;
        await foreach (var update in Client().CreateResponseStreamingAsync(options))
        {
            sequence.Add(update.SequenceNumber);
            if (update is StreamingResponseOutputTextDeltaUpdate delta) text.Append(delta.Delta);
            if (update is StreamingResponseCompletedUpdate completed) last = completed.Response;
            if (update is StreamingResponseIncompleteUpdate incomplete) last = incomplete.Response;
        }
        Assert.Equal(ServerFixture.GreedyReply(ServerFixture.Qwen, ServerFixture.UserMessage("Tell me"), 6), text.ToString());
        Assert.Equal(Enumerable.Range(0, sequence.Count), sequence);
        Assert.NotNull(last);
        Assert.Equal(text.ToString(), last.GetOutputText());
        Assert.True(last.Usage.OutputTokenCount is > 0 and <= 6);
    }

    [Fact]
    public async Task Instructions_come_first_as_a_system_message()
    {
        var options = Options(ServerFixture.Qwen, "Tell me", 4);
        options.Instructions = "Answer briefly.";
        ResponseResult response = await Client().CreateResponseAsync(options);
        var messages = new JsonArray(new JsonObject { ["role"] = "system", ["content"] = "Answer briefly." }, new JsonObject { ["role"] = "user", ["content"] = "Tell me" });
        Assert.Equal(ServerFixture.GreedyReply(ServerFixture.Qwen, messages, 4), response.GetOutputText());
    }

    [Fact]
    public async Task Json_schema_output_parses_and_validates()
    {
        const string schema = """{"type":"object","properties":{"color":{"enum":["red","green","blue"]},"n":{"type":"integer","minimum":0,"maximum":9}},"required":["color","n"],"additionalProperties":false}""";
        var options = new CreateResponseOptions(ServerFixture.Llama, [ResponseItem.CreateUserMessageItem("Pick")])
        {
            MaxOutputTokenCount = 120,
            TextOptions = new ResponseTextOptions { TextFormat = ResponseTextFormat.CreateJsonSchemaFormat("pick", BinaryData.FromString(schema), jsonSchemaIsStrict: true) },
        };
        ResponseResult response = await Client().CreateResponseAsync(options);
        Assert.Equal(ResponseStatus.Completed, response.Status);
        var reply = JsonNode.Parse(response.GetOutputText())!.AsObject();
        Assert.Equal(["color", "n"], reply.Select(p => p.Key).Order());
        Assert.Contains((string?)reply["color"], new[] { "red", "green", "blue" });
        Assert.InRange((int)reply["n"]!, 0, 9);
    }

    [Fact]
    public async Task Unknown_model_is_a_404_client_error()
    {
        var e = await Assert.ThrowsAsync<ClientResultException>(() => Client().CreateResponseAsync(Options("no-such-model", "Hi", 4)));
        Assert.Equal(404, e.Status);
        Assert.Contains("no-such-model", e.Message);
    }

    [Fact]
    public async Task Reasoning_effort_for_a_model_that_does_not_think_is_a_400()
    {
        var (status, body, _) = await server.PostAsync("/v1/responses", """{"model":"llama-tiny","input":"Hi","reasoning":{"effort":"high"}}""");
        Assert.Equal(400, status);
        Assert.Equal("reasoning.effort", (string?)body!["error"]!["param"]);
        // none asks for no reasoning, which such a model already does
        (status, _, _) = await server.PostAsync("/v1/responses", """{"model":"llama-tiny","input":"Hi","max_output_tokens":2,"reasoning":{"effort":"none"}}""");
        Assert.Equal(200, status);
    }

    [Fact]
    public Task Microsoft_Extensions_AI_chat_client_over_the_responses_client() =>
        ChatClientContract.GreedyWholeAndStreamedAsync(Client().AsIChatClient(ServerFixture.Llama));
}
