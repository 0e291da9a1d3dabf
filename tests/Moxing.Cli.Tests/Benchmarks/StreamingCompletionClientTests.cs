using System.Net;
using System.Text;
using Moxing.Cli.Benchmarks.Serving;

namespace Moxing.Cli.Tests.Benchmarks;

/// <summary>How the serving benchmark's client reads server-sent event streams: text, a clean finish without text, a cut-off stream.</summary>
public sealed class StreamingCompletionClientTests
{
    private sealed class CannedStream(string body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "text/event-stream") });
    }

    // A server that closes the connection without a response, recording the request it was sent.
    private sealed class ClosedConnection : HttpMessageHandler
    {
        public HttpRequestMessage? Request { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Request = request;
            throw new HttpRequestException("An error occurred while sending the request.", new IOException("The response ended prematurely."));
        }
    }

    private static Task<StreamedRequest> Send(string body)
    {
        using var http = new HttpClient(new CannedStream(body));
        return new StreamingCompletionClient(http, new Uri("http://localhost/"), chat: true, "m", apiKey: null).SendAsync("hi", 8, CancellationToken.None);
    }

    private static string Event(string json) => $"data: {json}\n\n";

    [Fact]
    public async Task TextChunksGiveTimeToFirstTokenGapsAndTheUsageCount()
    {
        var result = await Send(Event("""{"choices":[{"delta":{"content":"a"}}]}""") + Event("""{"choices":[{"delta":{"content":"b"}}]}""")
            + Event("""{"choices":[{"delta":{},"finish_reason":"length"}]}""") + Event("""{"choices":[],"usage":{"completion_tokens":3}}""") + "data: [DONE]\n\n");
        Assert.True(result.Succeeded);
        Assert.NotNull(result.TimeToFirstToken);
        Assert.Single(result.InterTokenMs);
        Assert.Equal(3, result.CompletionTokens);
    }

    [Theory]
    [InlineData("data: [DONE]\n\n")]
    [InlineData("data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n")]
    public async Task AStreamThatFinishesWithoutTextIsAnEmptyCompletion(string body)
    {
        var result = await Send(Event("""{"choices":[{"delta":{"role":"assistant","content":""}}]}""") + body);
        Assert.True(result.Succeeded, result.Error);
        Assert.Null(result.TimeToFirstToken);
        var level = new LoadLevel(1, [result], TimeSpan.FromSeconds(1), TimedOut: false);
        Assert.Equal(1, level.Empty);
        Assert.Empty(level.TimeToFirstTokenMs);
        Assert.Empty(level.Failures);
    }

    [Fact]
    public async Task AStreamCutOffBeforeAnyTextOrFinishFails()
    {
        var result = await Send(Event("""{"choices":[{"delta":{"role":"assistant"}}]}"""));
        Assert.False(result.Succeeded);
        Assert.Contains("before any text or a finish", result.Error);
    }

    [Fact]
    public async Task EachRequestHasItsOwnConnectionAndAFailureNamesItsCause()
    {
        var handler = new ClosedConnection();
        using var http = new HttpClient(handler);
        var result = await new StreamingCompletionClient(http, new Uri("http://localhost/"), chat: false, "m", apiKey: null).SendAsync("hi", 8, CancellationToken.None);
        Assert.True(handler.Request!.Headers.ConnectionClose);
        Assert.False(result.Succeeded);
        Assert.Null(result.Status);
        Assert.Contains("The response ended prematurely", result.Error);
    }
}
