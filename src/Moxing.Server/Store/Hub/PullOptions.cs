namespace Moxing.Server.Store.Hub;

/// <summary>Settings of a pull from the Hub.</summary>
public sealed record PullOptions
{
    /// <summary>The Hub address used when neither <see cref="Endpoint"/> nor HF_ENDPOINT is set.</summary>
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>The store name to register under; null: org/repo tagged with the quantization (see <see cref="HubReference.DefaultName"/>).</summary>
    public string? Name { get; init; }

    /// <summary>Hub or mirror base URL; null: HF_ENDPOINT, else https://huggingface.co.</summary>
    public string? Endpoint { get; init; }

    /// <summary>Bearer token; null: HF_TOKEN when set.</summary>
    public string? Token { get; init; }

    /// <summary>Branch, tag or commit to pull.</summary>
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
        var text = Endpoint ?? (string.IsNullOrEmpty(env) ? DefaultEndpoint : env);
        if (!Uri.TryCreate(text.TrimEnd('/') + "/", UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new Core.MoxingException($"Hub endpoint '{text}' is not an http(s) URL");
        return uri;
    }

    /// <summary>The token in effect: <see cref="Token"/> or HF_TOKEN.</summary>
    public string? ResolveToken() => Token ?? (Environment.GetEnvironmentVariable("HF_TOKEN") is { Length: > 0 } t ? t : null);
}
