using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Moxing.Cli.Benchmarks.Serving;

/// <summary>
/// Sends one streaming OpenAI completion (chat: /v1/chat/completions, else the raw-prompt /v1/completions) and times its
/// server-sent events as they arrive. With <c>ignoreEos</c> the request asks for exactly max_tokens tokens (vLLM's and
/// llama.cpp's <c>ignore_eos</c>), so servers under comparison generate the same amount. Each request has its own connection.
/// </summary>
internal sealed class StreamingCompletionClient(HttpClient http, Uri baseUrl, bool chat, string model, string? apiKey, bool ignoreEos = false)
{
    public async Task<StreamedRequest> SendAsync(string prompt, int maxTokens, CancellationToken cancellation)
    {
        var start = Stopwatch.GetTimestamp();
        var fields = new JsonObject
        {
            ["model"] = model,
            ["max_tokens"] = maxTokens,
            ["stream"] = true,
            ["stream_options"] = new JsonObject { ["include_usage"] = true },
        };
        if (ignoreEos) fields["ignore_eos"] = true;
        if (chat) fields["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompt });
        else fields["prompt"] = prompt;
        var endpoint = new Uri(baseUrl, chat ? "v1/chat/completions" : "v1/completions");
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint)
        {
            Content = new StringContent(fields.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        // a connection per request, as independent clients have: a server that closes a kept-alive connection after a
        // stream (llama-server does) cannot fail the next request sent on it
        request.Headers.ConnectionClose = true;
        if (apiKey != null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellation);
            var status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
                return Failed($"HTTP {status}: {Truncate(await response.Content.ReadAsStringAsync(cancellation))}", start, status);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellation));
            try
            {
                return await ReadEventsAsync(reader, start, status, cancellation);
            }
            catch (Exception e) when (e is HttpRequestException or IOException or JsonException)
            {
                return Failed(Describe(e), start, status);
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return Failed(Describe(e), start, null);
        }
    }

    private static async Task<StreamedRequest> ReadEventsAsync(StreamReader reader, long start, int status, CancellationToken cancellation)
    {
        var gaps = new List<double>();
        TimeSpan? first = null;
        long last = 0;
        int chunks = 0, usageTokens = -1;
        var finished = false;
        while (await reader.ReadLineAsync(cancellation) is { } line)
        {
            if (!line.StartsWith("data:", StringComparison.Ordinal)) continue;
            var data = line.AsSpan(5).Trim();
            if (data.SequenceEqual("[DONE]"))
            {
                finished = true;
                break;
            }
            using var doc = JsonDocument.Parse(data.ToString());
            var root = doc.RootElement;
            if (root.TryGetProperty("error", out var error)) return Failed(Truncate(error.ToString()), start, status);
            if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object
                && usage.TryGetProperty("completion_tokens", out var completion))
                usageTokens = completion.GetInt32();
            finished |= HasFinishReason(root);
            if (!HasContent(root)) continue;
            var now = Stopwatch.GetTimestamp();
            if (first == null) first = Stopwatch.GetElapsedTime(start, now);
            else gaps.Add(Stopwatch.GetElapsedTime(last, now).TotalMilliseconds);
            last = now;
            chunks++;
        }
        var total = Stopwatch.GetElapsedTime(start);
        // A stream that finished without text is a complete answer (the model ended at once); one cut off before any is not.
        if (first == null && !finished) return Failed("the stream ended before any text or a finish", start, status);
        // Servers stream one token per chunk; the usage chunk, when sent, is the exact count.
        return new StreamedRequest(true, null, first, gaps, usageTokens >= 0 ? usageTokens : chunks, total, status);
    }

    // chat streams put text in delta.content, completions in text
    private static bool HasContent(JsonElement root) => AnyChoice(root, choice =>
        (choice.TryGetProperty("delta", out var delta) ? delta : choice) is var holder
        && (holder.TryGetProperty("content", out var text) || holder.TryGetProperty("text", out text))
        && text.ValueKind == JsonValueKind.String && text.GetString()!.Length > 0);

    private static bool HasFinishReason(JsonElement root) =>
        AnyChoice(root, c => c.TryGetProperty("finish_reason", out var reason) && reason.ValueKind == JsonValueKind.String);

    private static bool AnyChoice(JsonElement root, Func<JsonElement, bool> test) =>
        root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.EnumerateArray().Any(test);

    // HttpClient's own message ("An error occurred while sending the request") with the cause beneath it.
    private static string Describe(Exception e) => e.InnerException is { } inner ? $"{e.Message} ({Describe(inner)})" : e.Message;

    private static StreamedRequest Failed(string error, long start, int? status) =>
        new(false, error, null, [], 0, Stopwatch.GetElapsedTime(start), status);

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
