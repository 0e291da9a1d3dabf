using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Moxing.Models;
using Moxing.Models.Encoder;

namespace Moxing.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class OpenAiHttpTests(ServerFixture server)
{
    private static string Chat(string extra, string model = ServerFixture.Llama) =>
        $$"""{"model":"{{model}}","messages":[{"role":"user","content":"Hello there"}],"max_tokens":6,"temperature":0{{extra}}}""";

    [Theory]
    [InlineData("\"store\":true", "store")]
    [InlineData("\"functions\":[]", "functions")]
    [InlineData("\"response_format\":{\"type\":\"json_object\",\"extra\":1}", "response_format.extra")]
    [InlineData("\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":{\"type\":\"array\",\"uniqueItems\":true}}}", "response_format.json_schema.schema")]
    [InlineData("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]", "tools")]
    [InlineData("\"stream_options\":{\"include_usage\":true,\"other\":1},\"stream\":true", "stream_options.other")]
    public async Task Unsupported_parameters_are_400s_naming_them(string field, string param)
    {
        var (status, body, _) = await server.PostAsync("/v1/chat/completions", Chat("," + field));
        Assert.Equal(400, status);
        Assert.Equal(param, (string?)body!["error"]!["param"]);
        Assert.Equal("invalid_request_error", (string?)body["error"]!["type"]);
        Assert.Contains(param, (string?)body["error"]!["message"]);
    }

    [Theory]
    [InlineData("{\"model\":", "invalid_json")]
    [InlineData("[1,2]", "invalid_json")]
    [InlineData("{\"messages\":[]}", "missing_required_parameter")]
    [InlineData("{\"model\":\"llama-tiny\",\"messages\":[],\"max_tokens\":4}", "invalid_value")]
    [InlineData("{\"model\":\"llama-tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":\"hot\"}", "invalid_value")]
    [InlineData("{\"model\":\"llama-tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":3}", "invalid_value")]
    [InlineData("{\"model\":\"llama-tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":0}", "invalid_value")]
    [InlineData("{\"model\":\"llama-tiny\",\"messages\":[{\"content\":\"x\"}]}", "invalid_value")]
    [InlineData("{\"model\":\"llama-tiny\",\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}", "invalid_value")]
    [InlineData("{\"model\":\"llama-tiny\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}", "invalid_value")]
    [InlineData("{\"model\":\"llama-tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"logit_bias\":{\"9999999\":5}}", "invalid_value")]
    [InlineData("{\"model\":\"llama-tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream_options\":{}}", "invalid_value")]
    public async Task Malformed_requests_are_400s_in_openai_shape(string json, string code)
    {
        var (status, body, _) = await server.PostAsync("/v1/chat/completions", json);
        Assert.Equal(400, status);
        Assert.Equal(code, (string?)body!["error"]!["code"]);
        Assert.NotNull(body["error"]!["message"]);
    }

    [Fact]
    public async Task Developer_messages_are_system_messages_and_function_results_tool_messages()
    {
        // Qwen3's template knows system and tool but not developer or function: without the mapping it drops those messages
        async Task<int> PromptTokens(string messages) =>
            (int)(await server.PostAsync("/v1/chat/completions",
                $$"""{"model":"{{ServerFixture.Qwen3}}","max_tokens":1,"messages":[{{messages}}{"role":"user","content":"hi"}]}""")).Body!["usage"]!["prompt_tokens"]!;
        var alone = await PromptTokens("");
        var developer = await PromptTokens("""{"role":"developer","content":"be brief"},""");
        Assert.Equal(await PromptTokens("""{"role":"system","content":"be brief"},"""), developer);
        Assert.True(developer > alone + 2, $"{developer} prompt tokens with a developer message, {alone} without");
        const string call = """{"role":"user","content":"weather?"},{"role":"assistant","content":"checking"},""";
        var function = await PromptTokens(call + """{"role":"function","name":"weather","content":"sunny"},""");
        Assert.Equal(await PromptTokens(call + """{"role":"tool","name":"weather","content":"sunny"},"""), function);
        Assert.True(function > await PromptTokens(call) + 2, "the function result is in the prompt");
    }

    [Fact]
    public async Task A_stop_string_ends_the_reply_before_it()
    {
        var greedy = ServerFixture.GreedyReply(ServerFixture.Llama, ServerFixture.UserMessage("Hello there"), 6);
        Assert.True(greedy.Length >= 3, $"the fixture reply '{greedy}' is too short for this test");
        var stop = greedy.Substring(greedy.Length / 2, 1);
        var (status, body, _) = await server.PostAsync("/v1/chat/completions", Chat($",\"stop\":[{JsonValue.Create(stop).ToJsonString()}]"));
        Assert.Equal(200, status);
        var choice = body!["choices"]![0]!;
        Assert.Equal(greedy[..greedy.IndexOf(stop, StringComparison.Ordinal)], (string?)choice["message"]!["content"]);
        Assert.Equal("stop", (string?)choice["finish_reason"]);
    }

    [Fact]
    public async Task Streamed_chunks_start_with_the_role_end_with_finish_usage_and_done()
    {
        var response = await server.Http.PostAsync("/v1/chat/completions",
            new StringContent(Chat(",\"stream\":true,\"stream_options\":{\"include_usage\":true}")));
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", lines[^1]);
        var chunks = lines[..^1].Select(l => JsonNode.Parse(l["data: ".Length..])!).ToList();
        Assert.Equal("assistant", (string?)chunks[0]["choices"]![0]!["delta"]!["role"]);
        Assert.Equal("length", (string?)chunks[^2]["choices"]![0]!["finish_reason"]);
        Assert.Empty(chunks[^1]["choices"]!.AsArray());
        Assert.Equal(6, (int)chunks[^1]["usage"]!["completion_tokens"]!);
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", (string?)c["object"]));
        Assert.Single(chunks.Select(c => (string?)c["id"]).Distinct());
    }

    [Fact]
    public async Task N_choices_with_a_seed_repeat_and_count_usage_once_per_prompt()
    {
        var json = Chat(",\"n\":2,\"seed\":7,\"temperature\":1.0").Replace("\"temperature\":0,", "");
        var (status, first, _) = await server.PostAsync("/v1/chat/completions", json);
        var (_, second, _) = await server.PostAsync("/v1/chat/completions", json);
        Assert.Equal(200, status);
        var choices = first!["choices"]!.AsArray();
        Assert.Equal(2, choices.Count);
        Assert.Equal([0, 1], choices.Select(c => (int)c!["index"]!));
        Assert.Equal(first["choices"]!.ToJsonString(), second!["choices"]!.ToJsonString());
        Assert.Equal(12, (int)first["usage"]!["completion_tokens"]!);
    }

    [Fact]
    public async Task Logprobs_report_the_greedy_token_as_the_most_likely()
    {
        var (status, body, _) = await server.PostAsync("/v1/chat/completions", Chat(",\"logprobs\":true,\"top_logprobs\":3"));
        Assert.Equal(200, status);
        var content = body!["choices"]![0]!["logprobs"]!["content"]!.AsArray();
        Assert.Equal(6, content.Count);
        foreach (var entry in content)
        {
            var top = entry!["top_logprobs"]!.AsArray();
            Assert.Equal(3, top.Count);
            Assert.Equal((string?)entry["token"], (string?)top[0]!["token"]);
            Assert.True((double)entry["logprob"]! <= 0);
            Assert.True((double)top[0]!["logprob"]! >= (double)top[1]!["logprob"]!);
        }
    }

    [Fact]
    public async Task Logit_bias_bans_the_greedy_first_token()
    {
        var (_, plain, _) = await server.PostAsync("/v1/chat/completions", Chat(",\"logprobs\":true"));
        var firstToken = (string?)plain!["choices"]![0]!["logprobs"]!["content"]![0]!["token"];
        using var model = ModelLoader.Load(ServerFixture.ModelPath(ServerFixture.Llama));
        var id = model.RequireTokenizer().Encode(firstToken!, addSpecialTokens: false).Single();
        var (status, biased, _) = await server.PostAsync("/v1/chat/completions", Chat($",\"logprobs\":true,\"logit_bias\":{{\"{id}\":-100}}"));
        Assert.Equal(200, status);
        Assert.NotEqual(firstToken, (string?)biased!["choices"]![0]!["logprobs"]!["content"]![0]!["token"]);
    }

    [Fact]
    public async Task Text_completion_of_a_prompt_and_of_token_ids()
    {
        var (status, body, _) = await server.PostAsync("/v1/completions", """{"model":"qwen2-tiny","prompt":"Once upon","max_tokens":4,"temperature":0}""");
        Assert.Equal(200, status);
        Assert.Equal("text_completion", (string?)body!["object"]);
        Assert.Equal(4, (int)body["usage"]!["completion_tokens"]!);
        using var model = ModelLoader.Load(ServerFixture.ModelPath(ServerFixture.Qwen));
        var ids = model.RequireTokenizer().Encode("Once upon", addSpecialTokens: true);
        var (_, byIds, _) = await server.PostAsync("/v1/completions",
            $$"""{"model":"qwen2-tiny","prompt":[{{string.Join(',', ids)}}],"max_tokens":4,"temperature":0}""");
        Assert.Equal((string?)body["choices"]![0]!["text"], (string?)byIds!["choices"]![0]!["text"]);
        Assert.Equal(ids.Length, (int)byIds["usage"]!["prompt_tokens"]!);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_batch_of_prompts_gives_n_choices_per_prompt_in_prompt_order_with_usage_summed(bool stream)
    {
        async Task<JsonNode> Complete(string prompt) =>
            (await server.PostAsync("/v1/completions", $$"""{"model":"qwen2-tiny","prompt":{{prompt}},"max_tokens":3,"temperature":0,"ignore_eos":true}""")).Body!;
        var first = await Complete("\"Once upon\"");
        var second = await Complete("[1,2,3,4,5]");
        var request = $$"""{"model":"qwen2-tiny","prompt":["Once upon",[1,2,3,4,5]],"n":2,"max_tokens":3,"temperature":0,"ignore_eos":true,"stream":{{(stream ? "true,\"stream_options\":{\"include_usage\":true}" : "false")}}}""";
        var texts = new string[4];
        JsonNode usage;
        if (stream)
        {
            var response = await server.Http.PostAsync("/v1/completions", new StringContent(request));
            var chunks = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[..^1]
                .Select(l => JsonNode.Parse(l["data: ".Length..])!).ToList();
            for (var i = 0; i < 4; i++)
                texts[i] = string.Concat(chunks.SelectMany(c => c["choices"]!.AsArray()).Where(c => (int)c!["index"]! == i).Select(c => (string?)c!["text"]));
            usage = chunks[^1]["usage"]!;
        }
        else
        {
            var (status, body, _) = await server.PostAsync("/v1/completions", request);
            Assert.Equal(200, status);
            var choices = body!["choices"]!.AsArray();
            Assert.Equal([0, 1, 2, 3], choices.Select(c => (int)c!["index"]!));
            texts = [.. choices.Select(c => (string)c!["text"]!)];
            usage = body["usage"]!;
        }
        // greedy: both choices of a prompt are that prompt's own completion
        string one = (string)first["choices"]![0]!["text"]!, two = (string)second["choices"]![0]!["text"]!;
        Assert.Equal([one, one, two, two], texts);
        Assert.Equal((int)first["usage"]!["prompt_tokens"]! + (int)second["usage"]!["prompt_tokens"]!, (int)usage["prompt_tokens"]!);
        Assert.Equal(12, (int)usage["completion_tokens"]!);
    }

    [Theory]
    [InlineData("[\"a\",5]", "prompt[1]")]
    [InlineData("[[1,2],[]]", "prompt[1]")]
    [InlineData("[]", "prompt")]
    [InlineData("{\"text\":\"a\"}", "prompt")]
    public async Task A_malformed_batch_of_prompts_is_a_400_naming_the_item(string prompt, string param)
    {
        var (status, body, _) = await server.PostAsync("/v1/completions", $$"""{"model":"qwen2-tiny","prompt":{{prompt}},"max_tokens":2}""");
        Assert.Equal(400, status);
        Assert.Equal(param, (string?)body!["error"]!["param"]);
    }

    [Fact]
    public async Task More_choices_than_a_request_may_ask_for_is_a_400()
    {
        var prompts = string.Join(',', Enumerable.Repeat("\"a\"", 33));
        var (status, body, _) = await server.PostAsync("/v1/completions", $$"""{"model":"qwen2-tiny","prompt":[{{prompts}}],"n":2,"max_tokens":2}""");
        Assert.Equal(400, status);
        Assert.Contains("66 choices", (string?)body!["error"]!["message"]);
        Assert.Equal("prompt", (string?)body["error"]!["param"]);
    }

    [Fact]
    public async Task Echo_with_logprobs_and_no_new_tokens_scores_the_prompt_as_the_model_does()
    {
        const string prompt = "Once upon a time there";
        var (status, body, _) = await server.PostAsync("/v1/completions",
            $$"""{"model":"qwen2-tiny","prompt":"{{prompt}}","max_tokens":0,"echo":true,"logprobs":2}""");
        Assert.Equal(200, status);
        var choice = body!["choices"]![0]!;
        Assert.Equal(prompt, (string?)choice["text"]);
        Assert.Equal("length", (string?)choice["finish_reason"]);
        using var model = ModelLoader.Load(ServerFixture.ModelPath(ServerFixture.Qwen));
        var ids = model.RequireTokenizer().Encode(prompt, addSpecialTokens: true);
        Assert.Equal((ids.Length, 0), ((int)body["usage"]!["prompt_tokens"]!, (int)body["usage"]!["completion_tokens"]!));
        var logprobs = choice["logprobs"]!;
        Assert.Equal(ids.Select(id => model.RequireTokenizer().Decode([id], skipSpecialTokens: false)), logprobs["tokens"]!.AsArray().Select(t => (string)t!));
        var scores = logprobs["token_logprobs"]!.AsArray();
        Assert.Null(scores[0]);
        Assert.Null(logprobs["top_logprobs"]![0]);
        // the model's own log-softmax at each position, from one forward pass over the prompt
        var decoder = model.RequireDecoder();
        var vocab = decoder.Options.VocabSize;
        var pool = Moxing.Models.Decoder.KvBlockPool.ForPositions(decoder.Options, Moxing.Core.Tensors.DType.F16, ids.Length);
        using var sequence = new Moxing.Models.Decoder.SequenceKv(pool, ids.Length);
        var logits = new float[ids.Length * vocab];
        decoder.Forward(ids, sequence, decoder.CreateScratch(ids.Length), logits, allLogits: true);
        for (var p = 1; p < ids.Length; p++)
        {
            var row = logits.AsSpan((p - 1) * vocab, vocab);
            var max = System.Numerics.Tensors.TensorPrimitives.Max(row);
            var logSum = max + Math.Log(row.ToArray().Sum(v => Math.Exp(v - max)));
            Assert.Equal(row[ids[p]] - logSum, (double)scores[p]!, 1e-3);
            Assert.InRange(logprobs["top_logprobs"]![p]!.AsObject().Count, 1, 2);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Echo_puts_the_prompt_before_the_reply(bool stream)
    {
        var (_, plain, _) = await server.PostAsync("/v1/completions", """{"model":"qwen2-tiny","prompt":"Once upon","max_tokens":3,"temperature":0}""");
        var request = $$"""{"model":"qwen2-tiny","prompt":"Once upon","max_tokens":3,"temperature":0,"echo":true,"stream":{{(stream ? "true" : "false")}}}""";
        string text;
        if (stream)
        {
            var response = await server.Http.PostAsync("/v1/completions", new StringContent(request));
            var chunks = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[..^1]
                .Select(l => JsonNode.Parse(l["data: ".Length..])!["choices"]![0]!).ToList();
            Assert.Equal("Once upon", (string?)chunks[0]["text"]);
            text = string.Concat(chunks.Select(c => (string?)c["text"]));
        }
        else text = (string)(await server.PostAsync("/v1/completions", request)).Body!["choices"]![0]!["text"]!;
        Assert.Equal("Once upon" + (string?)plain!["choices"]![0]!["text"], text);
        var (status, body, _) = await server.PostAsync("/v1/completions", """{"model":"qwen2-tiny","prompt":"Once upon","max_tokens":0}""");
        Assert.Equal(400, status);
        Assert.Equal("max_tokens", (string?)body!["error"]!["param"]);
    }

    [Fact]
    public async Task Ignore_eos_generates_max_tokens_past_the_end_of_sequence_token()
    {
        using var model = ModelLoader.Load(ServerFixture.ModelPath(ServerFixture.Qwen));
        var eos = model.EosTokenIds.First();
        // the end-of-sequence token biased to be chosen every time
        var request = $$"""{"model":"qwen2-tiny","prompt":"Once upon","max_tokens":5,"temperature":0,"logit_bias":{"{{eos}}":100}""";
        var (status, ended, _) = await server.PostAsync("/v1/completions", request + "}");
        Assert.Equal(200, status);
        Assert.Equal("stop", (string?)ended!["choices"]![0]!["finish_reason"]);
        Assert.True((int)ended["usage"]!["completion_tokens"]! <= 1);
        var (ignoredStatus, ignored, _) = await server.PostAsync("/v1/completions", request + ",\"ignore_eos\":true}");
        Assert.Equal(200, ignoredStatus);
        Assert.Equal("length", (string?)ignored!["choices"]![0]!["finish_reason"]);
        Assert.Equal(5, (int)ignored["usage"]!["completion_tokens"]!);
        var (badStatus, bad, _) = await server.PostAsync("/v1/completions", request + ",\"ignore_eos\":\"yes\"}");
        Assert.Equal(400, badStatus);
        Assert.Equal("invalid_value", (string?)bad!["error"]!["code"]);
    }

    [Fact]
    public async Task Embeddings_match_the_encoder_in_process_as_float_and_base64()
    {
        var (status, body, _) = await server.PostAsync("/v1/embeddings", """{"model":"bert-tiny","input":["hello world"]}""");
        Assert.Equal(200, status);
        var floats = body!["data"]![0]!["embedding"]!.AsArray().Select(x => (float)x!).ToArray();
        using var model = ModelLoader.Load(ServerFixture.ModelPath(ServerFixture.Bert));
        var ids = model.RequireTokenizer().Encode("hello world", addSpecialTokens: true);
        var expected = BertModel.MeanPooledNormalized(model.RequireEncoder().Encode(ids), model.RequireEncoder().Options.HiddenSize);
        Assert.Equal(expected, floats);
        Assert.Equal(ids.Length, (int)body["usage"]!["prompt_tokens"]!);

        var (_, b64, _) = await server.PostAsync("/v1/embeddings", """{"model":"bert-tiny","input":"hello world","encoding_format":"base64"}""");
        var bytes = Convert.FromBase64String((string)b64!["data"]![0]!["embedding"]!);
        Assert.Equal(expected, MemoryMarshal.Cast<byte, float>(bytes).ToArray());
    }

    [Fact]
    public async Task Embeddings_need_a_known_format()
    {
        var (status, body, _) = await server.PostAsync("/v1/embeddings", """{"model":"bert-tiny","input":"x","encoding_format":"int8"}""");
        Assert.Equal(400, status);
        Assert.Equal("encoding_format", (string?)body!["error"]!["param"]);
    }

    [Fact]
    public async Task Models_health_and_ready()
    {
        var models = JsonNode.Parse(await server.Http.GetStringAsync("/v1/models"))!;
        Assert.Equal([ServerFixture.Llama, ServerFixture.Qwen, ServerFixture.Bert, ServerFixture.Qwen3, ServerFixture.Harmony, ServerFixture.Kimi], models["data"]!.AsArray().Select(m => (string?)m!["id"]));
        Assert.Equal("ok", (string?)JsonNode.Parse(await server.Http.GetStringAsync("/health"))!["status"]);
        var ready = await server.Http.GetAsync("/ready");
        Assert.True(ready.IsSuccessStatusCode);
        var missing = await server.Http.GetAsync("/v1/models/nope");
        Assert.Equal(404, (int)missing.StatusCode);
    }

    [Fact]
    public async Task A_prompt_over_the_context_is_a_400()
    {
        var longText = string.Join(' ', Enumerable.Repeat("word", 2000));
        var (status, body, _) = await server.PostAsync("/v1/chat/completions",
            $$"""{"model":"llama-tiny","messages":[{"role":"user","content":"{{longText}}"}],"max_tokens":2}""");
        Assert.Equal(400, status);
        Assert.Equal("context_length_exceeded", (string?)body!["error"]!["code"]);
    }

    private const string ColorSchema =
        """{"type":"object","properties":{"color":{"enum":["red","green","blue"]},"n":{"type":"integer","minimum":0,"maximum":9}},"required":["color","n"],"additionalProperties":false}""";

    [Fact]
    public async Task Json_schema_output_always_parses_and_validates()
    {
        for (var seed = 0; seed < 3; seed++)
        {
            var (status, body, _) = await server.PostAsync("/v1/chat/completions",
                """{"model":"llama-tiny","messages":[{"role":"user","content":"Pick"}],"max_tokens":120,"seed":""" + seed +
                ""","response_format":{"type":"json_schema","json_schema":{"name":"pick","strict":true,"schema":""" + ColorSchema + "}}}");
            Assert.Equal(200, status);
            Assert.Equal("stop", (string?)body!["choices"]![0]!["finish_reason"]);
            var reply = JsonNode.Parse((string)body["choices"]![0]!["message"]!["content"]!)!.AsObject();
            Assert.Equal(["color", "n"], reply.Select(p => p.Key).Order());
            Assert.Contains((string?)reply["color"], new[] { "red", "green", "blue" });
            Assert.InRange((int)reply["n"]!, 0, 9);
        }
    }

    [Fact]
    public async Task Json_object_output_is_an_object()
    {
        var (status, body, _) = await server.PostAsync("/v1/chat/completions",
            """{"model":"qwen2-tiny","messages":[{"role":"user","content":"JSON"}],"max_tokens":60,"temperature":0,"response_format":{"type":"json_object"}}""");
        Assert.Equal(200, status);
        var content = (string)body!["choices"]![0]!["message"]!["content"]!;
        if ((string?)body["choices"]![0]!["finish_reason"] == "stop") Assert.IsType<JsonObject>(JsonNode.Parse(content));
        else Assert.StartsWith("{", content.TrimStart());
    }
}
