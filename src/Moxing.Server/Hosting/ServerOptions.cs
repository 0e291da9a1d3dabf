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

    /// <summary>A folder whose model folders and GGUF files are all served.</summary>
    public string? ModelsDirectory { get; init; }

    /// <summary>Limits of the model manager.</summary>
    public ModelManagerOptions Manager { get; init; } = new();

    /// <summary>Serve the model the repository ships when no model is configured.</summary>
    public bool UseShippedModel { get; init; } = true;

    /// <summary>The folder of the key and usage database; null: no keys (open mode only).</summary>
    public string? Home { get; init; }

    /// <summary>Require an API key even when none exists yet (then nothing is served until one is created).</summary>
    public bool RequireAuth { get; init; }

    /// <summary>A secret that grants the admin API (MOXING_ADMIN_KEY), besides admin keys; null: admin keys only.</summary>
    public string? AdminKey { get; init; }

    /// <summary>Write request and load logs to the console.</summary>
    public bool ConsoleLogging { get; init; } = true;
}
