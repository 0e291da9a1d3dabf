using System.ClientModel;
using System.Text;
using Microsoft.Extensions.AI;
using ChatFinishReason = OpenAI.Chat.ChatFinishReason;
using EmbeddingGenerationOptions = OpenAI.Embeddings.EmbeddingGenerationOptions;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;

namespace Moxing.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class OpenAiClientTests(ServerFixture server)
{
    private ChatClient Chat(string model) =>
        new(model, new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(server.Address, "v1") });

    [Fact]
    public async Task Chat_completion_is_the_greedy_reply_with_exact_usage()
    {
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 6, Temperature = 0 };
        ChatCompletion completion = await Chat(ServerFixture.Llama).CompleteChatAsync([new UserChatMessage("Hello there")], options);
        Assert.Equal(ServerFixture.GreedyReply(ServerFixture.Llama, ServerFixture.UserMessage("Hello there"), 6), completion.Content[0].Text);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.True(completion.Usage.OutputTokenCount is > 0 and <= 6);
        Assert.Equal(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount);
        Assert.Equal(completion.Usage.OutputTokenCount == 6 ? ChatFinishReason.Length : ChatFinishReason.Stop, completion.FinishReason);
    }

    [Fact]
    public async Task Streaming_gives_the_same_text_a_finish_reason_and_usage()
    {
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 6, Temperature = 0 };
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in Chat(ServerFixture.Qwen).CompleteChatStreamingAsync([new UserChatMessage("Tell me")], options))
        {
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }
        Assert.Equal(ServerFixture.GreedyReply(ServerFixture.Qwen, ServerFixture.UserMessage("Tell me"), 6), text.ToString());
        Assert.NotNull(finish);
        Assert.NotNull(usage);
        Assert.True(usage.OutputTokenCount is > 0 and <= 6);
    }

    [Fact]
    public async Task Unknown_model_is_a_404_client_error()
    {
        var e = await Assert.ThrowsAsync<ClientResultException>(() => Chat("no-such-model").CompleteChatAsync([new UserChatMessage("Hi")]));
        Assert.Equal(404, e.Status);
        Assert.Contains("no-such-model", e.Message);
    }

    [Fact]
    public async Task Encoder_model_cannot_chat()
    {
        var e = await Assert.ThrowsAsync<ClientResultException>(() => Chat(ServerFixture.Bert).CompleteChatAsync([new UserChatMessage("Hi")]));
        Assert.Equal(400, e.Status);
    }

    [Fact]
    public Task Microsoft_Extensions_AI_chat_client_over_the_sdk() =>
        ChatClientContract.GreedyWholeAndStreamedAsync(Chat(ServerFixture.Llama).AsIChatClient());

    [Fact]
    public async Task Embeddings_through_the_sdk_are_unit_vectors_and_shorten_with_dimensions()
    {
        var client = new EmbeddingClient(ServerFixture.Bert, new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(server.Address, "v1") });
        OpenAIEmbeddingCollection full = await client.GenerateEmbeddingsAsync(["hello world", "good morning"]);
        Assert.Equal(2, full.Count);
        var a = full[0].ToFloats().ToArray();
        Assert.Equal(1f, MathF.Sqrt(a.Sum(x => x * x)), 3);
        Assert.NotEqual(a, full[1].ToFloats().ToArray());
        OpenAIEmbedding shortened = await client.GenerateEmbeddingAsync("hello world", new EmbeddingGenerationOptions { Dimensions = 8 });
        var s = shortened.ToFloats().ToArray();
        Assert.Equal(8, s.Length);
        Assert.Equal(1f, MathF.Sqrt(s.Sum(x => x * x)), 3);
        // Shortening keeps the leading components' direction.
        var norm = MathF.Sqrt(a.Take(8).Sum(x => x * x));
        for (var i = 0; i < 8; i++) Assert.Equal(a[i] / norm, s[i], 4);
    }
}
