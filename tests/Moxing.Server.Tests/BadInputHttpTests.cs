using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Moxing.Server.Hosting;
using Moxing.Server.Models;

namespace Moxing.Server.Tests;

/// Hostile and malformed requests on every generation and embedding endpoint of both APIs: each is a 4xx whose message names what
/// was wrong, in the API's own error shape, and the server answers /health and a normal request afterwards.
[Collection(ServerCollection.Name)]
public sealed class BadInputHttpTests(ServerFixture server)
{
    private static readonly string[] Endpoints =
        ["/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/api/chat", "/api/generate", "/api/embed"];

    private static bool IsOllama(string endpoint) => endpoint.StartsWith("/api/", StringComparison.Ordinal);

    private static bool IsEmbedding(string endpoint) => endpoint.EndsWith("embeddings", StringComparison.Ordinal) || endpoint.EndsWith("embed", StringComparison.Ordinal);

    private static string DefaultModel(string endpoint) => IsEmbedding(endpoint) ? ServerFixture.Bert : ServerFixture.Llama;

    private static bool IsChat(string endpoint) => endpoint.EndsWith("chat/completions", StringComparison.Ordinal) || endpoint == "/api/chat";

    /// A small valid request for <paramref name="endpoint"/> with <paramref name="fields"/> (JSON members) added; the text as the
    /// message, prompt or input unless <paramref name="fields"/> sets that, and a token limit of 2 unless it sets max_tokens or options.
    private static string Valid(string endpoint, string fields = "", string? model = null, string text = "Hello there")
    {
        var input = JsonValue.Create(text).ToJsonString();
        var (payload, value) = endpoint switch
        {
            "/v1/chat/completions" or "/api/chat" => ("messages", $$"""[{"role":"user","content":{{input}}}]"""),
            "/v1/completions" or "/api/generate" => ("prompt", input),
            "/v1/embeddings" or "/api/embed" => ("input", input),
            _ => throw new ArgumentException(endpoint),
        };
        var body = $"{{\"model\":\"{model ?? DefaultModel(endpoint)}\"";
        if (!fields.StartsWith($"\"{payload}\":", StringComparison.Ordinal)) body += $",\"{payload}\":{value}";
        if (IsOllama(endpoint) && !IsEmbedding(endpoint))
            body += fields.Contains("\"options\"", StringComparison.Ordinal) ? ",\"stream\":false" : ",\"stream\":false,\"options\":{\"num_predict\":2}";
        else if (!IsEmbedding(endpoint) && !fields.Contains("\"max_tokens\"", StringComparison.Ordinal))
            body += ",\"max_tokens\":2";
        return body + (fields.Length > 0 ? "," + fields : "") + "}";
    }

    /// A sampling option at the place each API keeps it: top level on /v1, inside options (with the token limit) on /api.
    private static string Option(string endpoint, string name, string value) =>
        !IsOllama(endpoint) ? $"\"{name}\":{value}"
        : name == "num_predict" ? $"\"options\":{{\"num_predict\":{value}}}"
        : $"\"options\":{{\"num_predict\":2,\"{name}\":{value}}}";

    private static string Nested(int depth) => new string('[', depth) + new string(']', depth);

    private static readonly Dictionary<string, (Func<string, byte[]> Body, int Status, string Names)> Cases = new()
    {
        ["truncated JSON"] = (_ => Utf8("""{"model":"""), 400, "not valid JSON"),
        ["empty body"] = (_ => [], 400, "empty"),
        ["not an object"] = (_ => Utf8("[1,2]"), 400, "JSON object"),
        ["a bare NaN"] = (e => Utf8(Valid(e, "\"temperature\":NaN")), 400, "not valid JSON"),
        ["trailing garbage"] = (e => Utf8(Valid(e) + "}}"), 400, "not valid JSON"),
        ["invalid UTF-8"] = (e => InvalidUtf8(Utf8(Valid(e, text: "caf#"))), 400, "not valid UTF-8"),
        ["a duplicate field"] = (e => Utf8(Valid(e, "\"model\":\"x\"")), 400, "'model'"),
        ["deeply nested JSON"] = (e => Utf8(Valid(e, $"\"user\":{Nested(10_000)}")), 400, "depth"),
        ["model of the wrong type"] = (e => Utf8(Valid(e).Replace($"\"model\":\"{DefaultModel(e)}\"", "\"model\":5")), 400, "'model' must be a string"),
        ["missing model"] = (e => Utf8(Valid(e).Replace($"\"model\":\"{DefaultModel(e)}\",", "")), 400, "'model' is required"),
        ["unknown model"] = (e => Utf8(Valid(e, model: "no-such-model")), 404, "'no-such-model' does not exist"),
        ["unknown field"] = (e => Utf8(Valid(e, "\"frobnicate\":1")), 400, "'frobnicate'"),
        // Ollama's /api/embed truncates by default, as Ollama does; truncate: false makes a long input an error.
        ["prompt over the context"] = (e => Utf8(Valid(e, e == "/api/embed" ? "\"truncate\":false" : "", text: string.Join(' ', Enumerable.Repeat("word", 3000)))),
            400, "tokens"),
    };

    // Sampling values that no API accepts, on the four generation endpoints: (field on /v1, field in Ollama's options, value).
    private static readonly (string OpenAi, string Ollama, string Value)[] BadSampling =
    [
        ("temperature", "temperature", "-1"),
        ("temperature", "temperature", "\"NaN\""),
        ("temperature", "temperature", "\"0.5\""),
        ("temperature", "temperature", "1e400"),
        ("top_p", "top_p", "-0.5"),
        ("top_p", "top_p", "\"NaN\""),
        ("top_p", "top_p", "\"Infinity\""),
        ("top_k", "top_k", "-5"),
        ("min_p", "min_p", "2"),
        ("presence_penalty", "presence_penalty", "-1000"),
        ("frequency_penalty", "frequency_penalty", "\"-Infinity\""),
        ("repetition_penalty", "repeat_penalty", "-1"),
        ("repetition_penalty", "repeat_penalty", "\"NaN\""),
        ("seed", "seed", "\"abc\""),
        ("seed", "seed", "1.5"),
        ("max_tokens", "num_predict", "1e15"),
        ("max_tokens", "num_predict", "-5"),
        ("max_tokens", "num_predict", "\"5\""),
        ("max_tokens", "num_predict", "2.5"),
        ("stop", "stop", "5"),
    ];

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    // Replaces the '#' with a lone continuation byte and a truncated two-byte sequence.
    private static byte[] InvalidUtf8(byte[] bytes)
    {
        var at = Array.IndexOf(bytes, (byte)'#');
        return [.. bytes[..at], 0x80, 0xC3, .. bytes[(at + 1)..]];
    }

    public static TheoryData<string, string> EndpointCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var endpoint in Endpoints)
            foreach (var name in Cases.Keys)
                data.Add(endpoint, name);
        return data;
    }

    public static TheoryData<string, int> SamplingCases()
    {
        var data = new TheoryData<string, int>();
        foreach (var endpoint in Endpoints.Where(e => !IsEmbedding(e)))
            for (var i = 0; i < BadSampling.Length; i++)
                data.Add(endpoint, i);
        return data;
    }

    [Theory]
    [MemberData(nameof(EndpointCases))]
    public async Task A_bad_request_is_a_4xx_naming_the_problem_and_the_server_stays_healthy(string endpoint, string name)
    {
        var (body, status, names) = Cases[name];
        await AssertRefusedAsync(endpoint, body(endpoint), status, names);
    }

    [Theory]
    [MemberData(nameof(SamplingCases))]
    public async Task Negative_NaN_or_mistyped_sampling_values_are_400s_naming_the_field(string endpoint, int index)
    {
        var (openAi, ollama, value) = BadSampling[index];
        var field = IsOllama(endpoint) ? ollama : openAi;
        var body = Valid(endpoint, Option(endpoint, field, value));
        await AssertRefusedAsync(endpoint, Utf8(body), 400, IsOllama(endpoint) ? $"'options.{field}'" : $"'{field}'");
    }

    [Theory]
    [InlineData("/v1/completions", "\"prompt\":[1,1e400]", "'prompt'")]
    [InlineData("/v1/chat/completions", "\"logit_bias\":{\"5\":1e400}", "'logit_bias[5]'")]
    [InlineData("/v1/chat/completions", "\"n\":1e400", "'n'")]
    [InlineData("/v1/embeddings", "\"input\":[[1,1e400]]", "'input'")]
    [InlineData("/api/generate", "\"context\":[1,1e400]", "'context'")]
    [InlineData("/api/generate", "\"keep_alive\":\"NaN\"", "'keep_alive'")]
    [InlineData("/api/chat", "\"keep_alive\":1e400", "'keep_alive'")]
    [InlineData("/api/embed", "\"dimensions\":-1e400", "'dimensions'")]
    public async Task Numbers_beyond_a_double_or_NaN_are_400s_naming_the_field(string endpoint, string field, string names) =>
        await AssertRefusedAsync(endpoint, Utf8(Valid(endpoint, field)), 400, names);

    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/api/chat")]
    public async Task Tool_call_arguments_with_a_duplicate_key_are_kept_as_text_not_a_crash(string endpoint)
    {
        var messages = """
            [{"role":"user","content":"Hi"},{"role":"assistant","content":"","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1,\"a\":2}"}}]},{"role":"tool","tool_call_id":"c1","content":"3"}]
            """;
        var (status, body, _) = await server.PostAsync(endpoint, Valid(endpoint, $"\"messages\":{messages}"));
        Assert.True(status == 200, $"{endpoint} answered {status}: {body?.ToJsonString()}");
    }

    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/api/chat")]
    public async Task Ten_thousand_tiny_messages_are_a_400_over_the_context(string endpoint)
    {
        var message = """{"role":"user","content":"a"}""";
        var messages = "[" + string.Join(',', Enumerable.Repeat(message, 10_000)) + "]";
        var body = Valid(endpoint, $"\"messages\":{messages}");
        await AssertRefusedAsync(endpoint, Utf8(body), 400, "tokens");
    }

    [Theory]
    [InlineData("/v1/embeddings")]
    [InlineData("/api/embed")]
    [InlineData("/v1/completions")]
    public async Task Ten_thousand_tiny_inputs_are_a_400_naming_the_limit(string endpoint)
    {
        var inputs = "[" + string.Join(',', Enumerable.Repeat("\"a\"", 10_000)) + "]";
        var field = endpoint == "/v1/completions" ? "prompt" : "input";
        var body = Valid(endpoint, $"\"{field}\":{inputs}");
        await AssertRefusedAsync(endpoint, Utf8(body), 400, $"'{field}'");
    }

    [Fact]
    public async Task Max_tokens_beyond_the_whole_context_is_a_400_naming_it()
    {
        await AssertRefusedAsync("/v1/chat/completions", Utf8(Valid("/v1/chat/completions", "\"max_tokens\":2147483647")), 400, "'max_tokens'");
        await AssertRefusedAsync("/v1/completions", Utf8(Valid("/v1/completions", "\"max_tokens\":100000")), 400, "'max_tokens'");
    }

    [Fact]
    public async Task Thinking_on_a_model_whose_template_has_no_think_blocks_is_a_400_naming_think()
    {
        await AssertRefusedAsync("/api/chat", Utf8(Valid("/api/chat", "\"think\":true")), 400, "'think'");
        await AssertRefusedAsync("/v1/chat/completions", Utf8(Valid("/v1/chat/completions", "\"reasoning_effort\":\"high\"")), 400, "'reasoning_effort'");
    }

    [Fact]
    public async Task A_body_over_the_default_size_limit_is_refused_before_it_is_sent()
    {
        // Expect: 100-continue lets the server answer 413 from the Content-Length alone, before the client sends 9 MiB.
        foreach (var endpoint in Endpoints)
            await AssertRefusedAsync(endpoint, Utf8(Valid(endpoint, text: new string('a', 9 << 20))), 413, "--max-body", expectContinue: true);
    }

    [Fact]
    public async Task A_body_over_a_small_size_limit_is_a_413_in_each_apis_shape()
    {
        await using var small = await MoxingServer.StartAsync(new ServerOptions
        {
            Host = "127.0.0.1",
            Port = 0,
            Models = [ServerFixture.ModelPath(ServerFixture.Llama), ServerFixture.ModelPath(ServerFixture.Bert)],
            ConsoleLogging = false,
            MaxBodyBytes = 16 << 10,
        }, Engines.ContinuousBatching);
        using var http = new HttpClient { BaseAddress = small.Address };
        foreach (var endpoint in Endpoints)
            await AssertRefusedAsync(endpoint, Utf8(Valid(endpoint, text: new string('a', 64 << 10))), 413, "--max-body", http: http);
    }

    private async Task AssertRefusedAsync(string endpoint, byte[] body, int status, string names, bool expectContinue = false, HttpClient? http = null)
    {
        http ??= server.Http;
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.ExpectContinue = expectContinue;
        var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"{endpoint} answered {(int)response.StatusCode}, not {status}: {text[..Math.Min(text.Length, 300)]}");
        var error = JsonNode.Parse(text)!["error"];
        var message = IsOllama(endpoint) ? (string?)error : (string?)error?["message"];
        Assert.NotNull(message);
        Assert.Contains(names, message, StringComparison.Ordinal);
        if (!IsOllama(endpoint)) Assert.Equal(JsonValueKind.String, error!["type"]!.GetValueKind());
        await AssertHealthyAsync(http, endpoint);
    }

    private static async Task AssertHealthyAsync(HttpClient http, string endpoint)
    {
        Assert.Equal("ok", (string?)JsonNode.Parse(await http.GetStringAsync("/health"))!["status"]);
        var response = await http.PostAsync(endpoint, new StringContent(Valid(endpoint), Encoding.UTF8, "application/json"));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(response.IsSuccessStatusCode, $"a normal request to {endpoint} after a bad one answered {(int)response.StatusCode}: {body?.ToJsonString()}");
        if (IsChat(endpoint)) Assert.NotNull(body!["choices"] ?? body["message"]);
        else if (IsEmbedding(endpoint)) Assert.NotNull(body!["data"] ?? body["embeddings"]);
    }
}
