using System.Text;
using Microsoft.Extensions.AI;

namespace Moxing.Server.Tests;

/// What a Microsoft.Extensions.AI chat client over any of the server's OpenAI APIs must give.
internal static class ChatClientContract
{
    /// The greedy reply of llama-tiny, its usage, and the same text streamed.
    public static async Task GreedyWholeAndStreamedAsync(IChatClient client)
    {
        var options = new ChatOptions { MaxOutputTokens = 5, Temperature = 0 };
        var response = await client.GetResponseAsync("Hello there", options);
        Assert.Equal(ServerFixture.GreedyReply(ServerFixture.Llama, ServerFixture.UserMessage("Hello there"), 5), response.Text);
        Assert.NotNull(response.Usage);
        Assert.True(response.Usage.OutputTokenCount is > 0 and <= 5);
        var streamed = new StringBuilder();
        await foreach (var update in client.GetStreamingResponseAsync("Hello there", options)) streamed.Append(update.Text);
        Assert.Equal(response.Text, streamed.ToString());
    }
}
