using Moxing.Server.Models;

namespace Moxing.Server.Hosting;

/// <summary>Everything <c>moxing serve</c> is configured with: where to listen, which models, and the model manager's limits.</summary>
public sealed record ServerOptions
{
    /// <summary>The default address.</summary>
    public const string DefaultHost = "127.0.0.1";

    /// <summary>The default port.</summary>
    public const int DefaultPort = 8080;

    /// <summary>Address to listen on (127.0.0.1, 0.0.0.0, localhost, ::).</summary>
    public string Host { get; init; } = DefaultHost;

    /// <summary>Port to listen on; 0 picks a free one.</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>Model folders or GGUF files served under their file or folder name.</summary>
    public IReadOnlyList<string> Models { get; init; } = [];

    /// <summary>The vision projector (mmproj GGUF) of the one model in <see cref="Models"/>; null: none.</summary>
    public string? Projector { get; init; }

    /// <summary>A folder whose model folders and GGUF files are all served.</summary>
    public string? ModelsDirectory { get; init; }

    /// <summary>Limits of the model manager.</summary>
    public ModelManagerOptions Manager { get; init; } = new();

    /// <summary>Serve the model the repository ships when no model is configured.</summary>
    public bool UseShippedModel { get; init; } = true;

    /// <summary>The folder of the key and usage database; null: no keys (open mode only).</summary>
    public string? Home { get; init; }

    /// <summary>The key and usage database's URL (postgres://…, sqlite:PATH); null: moxing.db in <see cref="Home"/>.</summary>
    public string? Database { get; init; }

    /// <summary>Require an API key even when none exists yet (then nothing is served until one is created).</summary>
    public bool RequireAuth { get; init; }

    /// <summary>A secret that grants the admin API (MOXING_ADMIN_KEY), besides admin keys; null: admin keys only.</summary>
    public string? AdminKey { get; init; }

    /// <summary>Write request and load logs to the console.</summary>
    public bool ConsoleLogging { get; init; } = true;

    /// <summary>How log lines look: text for people, or JSON lines for log collectors.</summary>
    public LogFormat LogFormat { get; init; }

    /// <summary>Where JSON logs go; null: standard output.</summary>
    public TextWriter? LogWriter { get; init; }

    /// <summary>The OTLP collector traces are exported to (e.g. http://localhost:4318); null: OTEL_EXPORTER_OTLP_ENDPOINT, or no export.</summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary>PEM certificate (chain) for HTTPS; with <see cref="TlsKeyPath"/>, the server speaks only HTTPS.</summary>
    public string? TlsCertificatePath { get; init; }

    /// <summary>PEM private key of <see cref="TlsCertificatePath"/>.</summary>
    public string? TlsKeyPath { get; init; }

    /// <summary>Browser origins allowed to call the API (CORS); empty: none (browsers on other origins are refused).</summary>
    public IReadOnlyList<string> CorsOrigins { get; init; } = [];

    /// <summary>The default <see cref="MaxBodyBytes"/>: 8 MiB.</summary>
    public const long DefaultMaxBodyBytes = 8L << 20;

    /// <summary>Largest request body accepted; a larger one gets 413.</summary>
    public long MaxBodyBytes { get; init; } = DefaultMaxBodyBytes;

    /// <summary>The default <see cref="MaxHeaderBytes"/>: 32 KiB, Kestrel's own.</summary>
    public const int DefaultMaxHeaderBytes = 32 << 10;

    /// <summary>Largest total size of a request's headers; larger gets 431.</summary>
    public int MaxHeaderBytes { get; init; } = DefaultMaxHeaderBytes;

    /// <summary>Most headers one request may carry.</summary>
    public const int MaxHeaderCount = 100;

    /// <summary>Time one request may take, model loading included; past it: 504, or an error event ending a stream. Null: no limit.</summary>
    public TimeSpan? RequestTimeout { get; init; }

    /// <summary>The default <see cref="ShutdownGrace"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultShutdownGrace = TimeSpan.FromSeconds(30);

    /// <summary>On shutdown, how long running requests may still take before they are cancelled.</summary>
    public TimeSpan ShutdownGrace { get; init; } = DefaultShutdownGrace;

    /// <summary>The Hugging Face endpoint /api/pull downloads from (null: HF_ENDPOINT or huggingface.co).</summary>
    public string? HubEndpoint { get; init; }

    /// <summary>The Ollama registry /api/pull downloads Ollama names from (null: the name's host, MOXING_OLLAMA_REGISTRY or registry.ollama.ai).</summary>
    public string? OllamaRegistry { get; init; }
}

/// <summary>How the server writes its log.</summary>
public enum LogFormat
{
    /// <summary>One human-readable line per entry.</summary>
    Text,
    /// <summary>One JSON object per line.</summary>
    Json,
}
