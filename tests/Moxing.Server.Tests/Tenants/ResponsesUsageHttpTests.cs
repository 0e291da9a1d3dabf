using System.Net;
using System.Text.Json.Nodes;
using Moxing.Server.Tenants;
using Moxing.Server.Tests.Data;

namespace Moxing.Server.Tests.Tenants;

/// /v1/responses is metered like the chat endpoint: one usage row per request, whole or streamed, with the response's token counts.
public sealed class ResponsesUsageHttpTests
{
    [Fact]
    public async Task Whole_and_streamed_responses_each_write_a_usage_row_with_their_token_counts()
    {
        await using var s = await KeyedServer.StartAsync(TestDatabase.Sqlite);
        var key = s.Keys.Create("acme", new KeyLimits());
        const string body = """{"model":"llama-tiny","input":"Hello there","max_output_tokens":4,"temperature":0""";
        var (status, whole, _) = await s.PostAsync(key.Key, "/v1/responses", body + "}");
        Assert.Equal(HttpStatusCode.OK, status);
        var (streamStatus, _, _) = await s.PostAsync(key.Key, "/v1/responses", body + ""","stream":true}""");
        Assert.Equal(HttpStatusCode.OK, streamStatus);

        var rows = s.Rows(key.Record.Id);
        Assert.Equal(["/v1/responses", "/v1/responses"], rows.Select(r => r.Endpoint));
        Assert.All(rows, row =>
        {
            Assert.Equal(200, row.Status);
            Assert.Equal((int)whole!["usage"]!["input_tokens"]!, row.PromptTokens);
            Assert.Equal((int)whole["usage"]!["output_tokens"]!, row.CompletionTokens);
        });
    }
}
