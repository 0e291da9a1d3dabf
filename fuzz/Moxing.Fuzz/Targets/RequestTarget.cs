using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Moxing.Server.Classify;
using Moxing.Server.Http;
using Moxing.Server.Models;
using Moxing.Server.Ollama;
using Moxing.Server.OpenAi;
using Moxing.Server.Rerank;

namespace Moxing.Fuzz.Targets;

/// <summary>
/// The OpenAI and Ollama request readers: the first byte picks an endpoint, the rest is its body. No model is served, so every request
/// that parses ends in a 404 for its model; whatever happens, the error must map to a 4xx (a 5xx is a finding).
/// </summary>
public sealed class RequestTarget : FuzzTarget
{
    private static readonly ModelManager Models = new(new PathModelCatalog([]), new ModelManagerOptions(), Engines.ContinuousBatching,
        NullLogger<ModelManager>.Instance);

    private static readonly (string Path, RequestDelegate Handle)[] Endpoints =
    [
        ("/v1/chat/completions", new ChatCompletionsEndpoint(Models).HandleAsync),
        ("/v1/completions", new CompletionsEndpoint(Models).HandleAsync),
        ("/v1/embeddings", new EmbeddingsEndpoint(Models).HandleAsync),
        ("/v1/classify", new ClassifyEndpoint(new ClassifierModels(Models.Catalog), Models).HandleAsync),
        ("/api/chat", new OllamaChatEndpoint(Models).ChatAsync),
        ("/api/generate", new OllamaChatEndpoint(Models).GenerateAsync),
        ("/api/embed", new OllamaEmbedEndpoint(Models).EmbedAsync),
        ("/api/embeddings", new OllamaEmbedEndpoint(Models).EmbeddingsAsync),
        ("/api/show", new OllamaModelsEndpoint(Models).ShowAsync),
        ("/v1/rerank", new RerankEndpoint(Models).HandleAsync),
    ];

    // One rich request per endpoint (by index in Endpoints): every parameter family each reader knows.
    private static readonly string[] SeedBodies =
    [
        """{"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"hi"}]},{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},{"role":"tool","tool_call_id":"c","content":"2"}],"max_tokens":8,"temperature":0.5,"top_p":0.9,"top_k":4,"min_p":0.1,"seed":3,"n":2,"stop":["x"],"presence_penalty":0.1,"frequency_penalty":0.2,"repetition_penalty":1.1,"logit_bias":{"5":-100},"logprobs":true,"top_logprobs":2,"stream":true,"stream_options":{"include_usage":true},"tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}}}],"tool_choice":"auto","parallel_tool_calls":false,"user":"u","chat_template_kwargs":{"enable_thinking":false}}""",
        """{"model":"m","prompt":[1,2,3],"max_tokens":4,"n":1,"best_of":1,"logprobs":2,"echo":false,"suffix":"","temperature":0,"stop":"\n","stream":false}""",
        """{"model":"m","input":["a","b",[1,2]],"encoding_format":"base64","dimensions":8,"user":"u"}""",
        """{"model":"m","input":["a great film","awful"],"user":"u"}""",
        """{"model":"m","messages":[{"role":"user","content":"hi","images":[]}],"stream":false,"keep_alive":"5m","format":{"type":"object","properties":{"x":{"enum":["a","b"]}}},"think":false,"options":{"temperature":0.7,"top_k":40,"top_p":0.9,"min_p":0,"repeat_penalty":1.1,"presence_penalty":0,"frequency_penalty":0,"seed":1,"num_predict":8,"num_ctx":256,"stop":["\n"]},"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{}}}}],"CustomHeaders":{}}""",
        """{"model":"m","prompt":"hi","system":"s","raw":false,"context":[1,2],"stream":true,"keep_alive":300,"format":"json","options":{"num_predict":-1}}""",
        """{"model":"m","input":["a","b"],"truncate":false,"dimensions":4,"keep_alive":-1,"options":{}}""",
        """{"model":"m","prompt":"hi","keep_alive":"1h30m"}""",
        """{"model":"m","verbose":true}""",
        """{"model":"m","query":"q","documents":["a",{"text":"b"}],"top_n":1,"return_documents":false,"raw_scores":true,"user":"u"}""",
    ];

    public override string Name => "request";

    public override void Run(byte[] input)
    {
        if (input.Length == 0) return;
        var (path, handle) = Endpoints[input[0] % Endpoints.Length];
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Path = path;
        context.Request.ContentType = "application/json";
        context.Request.Body = new MemoryStream(input, 1, input.Length - 1, writable: false);
        context.Response.Body = Stream.Null;
        handle(context).GetAwaiter().GetResult();
    }

    public override bool IsExpected(Exception e) => ApiError.From(e).Status < 500;

    public override IEnumerable<(string Name, byte[] Data)> Seeds(string repository) =>
        SeedBodies.Select((body, i) => (Endpoints[i].Path.Trim('/').Replace('/', '-') + ".json", (byte[])[(byte)i, .. Encoding.UTF8.GetBytes(body)]));
}
