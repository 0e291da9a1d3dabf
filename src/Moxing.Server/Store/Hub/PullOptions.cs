namespace Moxing.Server.Store.Hub;

/// <summary>Settings of a pull from the Hub or an Ollama registry.</summary>
public sealed record PullOptions
{
    /// <summary>The Hub address used when neither <see cref="Endpoint"/> nor HF_ENDPOINT is set.</summary>
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>The store name to register under; null: the default of the reference (<see cref="HubReference.DefaultName"/>, <see cref="Registry.OllamaReference.DefaultName"/>).</summary>
    public string? Name { get; init; }

    /// <summary>Hub, registry or mirror base URL; null: HF_ENDPOINT, else https://huggingface.co (Ollama names: the name's host, MOXING_OLLAMA_REGISTRY, else https://registry.ollama.ai).</summary>
    public string? Endpoint { get; init; }

    /// <summary>Bearer token; null: HF_TOKEN when set.</summary>
    public string? Token { get; init; }

    /// <summary>Branch, tag or commit to pull (Hub only).</summary>
    public string Revision { get; init; } = "main";

    /// <summary>How many times a broken transfer is resumed within one pull before giving up (a rerun resumes again).</summary>
    public int Retries { get; init; } = 3;

    /// <summary>Wait before the first retry (doubled for each further one).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A transfer that delivers no byte for this long is broken (and retried).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The endpoint in effect: <see cref="Endpoint"/>, HF_ENDPOINT or the default.</summary>
    public Uri ResolveEndpoint()
    {
        var env = Environment.GetEnvironmentVariable("HF_ENDPOINT");
        return ParseEndpoint(Endpoint ?? (string.IsNullOrEmpty(env) ? DefaultEndpoint : env), "Hub endpoint");
    }

    /// <summary>An http(s) base URL ending in '/', or an error naming <paramref name="what"/> it was meant to be.</summary>
    public static Uri ParseEndpoint(string text, string what) =>
        Uri.TryCreate(text.TrimEnd('/') + "/", UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new Core.MoxingException($"{what} '{text}' is not an http(s) URL");

    /// <summary>The token in effect: <see cref="Token"/> or HF_TOKEN.</summary>
    public string? ResolveToken() => Token ?? (Environment.GetEnvironmentVariable("HF_TOKEN") is { Length: > 0 } t ? t : null);
}
