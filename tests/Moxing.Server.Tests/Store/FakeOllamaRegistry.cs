using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Moxing.Server.Tests.Store;

/// <summary>
/// An Ollama registry on loopback (Kestrel, port 0) shaped as registry.ollama.ai: manifests at /v2/NS/MODEL/manifests/TAG (404 with
/// Docker's error body for unknown ones), blobs at /v2/NS/MODEL/blobs/DIGEST answered with a 307 to a CDN on another port that
/// serves ranges — and faults to inject.
/// </summary>
internal sealed class FakeOllamaRegistry : IAsyncDisposable
{
    public const string Model = "application/vnd.ollama.image.model";
    public const string Params = "application/vnd.ollama.image.params";
    public const string SystemPrompt = "application/vnd.ollama.image.system";
    public const string Template = "application/vnd.ollama.image.template";
    public const string License = "application/vnd.ollama.image.license";
    public const string Projector = "application/vnd.ollama.image.projector";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, byte[]> _manifests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[]> _blobs = new(StringComparer.Ordinal);
    private string _cdnEndpoint = "";

    private FakeOllamaRegistry(WebApplication app) => _app = app;

    public string Endpoint { get; private set; } = "";

    /// <summary>Every request: "METHOD /path range=… accept=…".</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>The next <see cref="DropsLeft"/> CDN downloads send this many bytes and then cut the connection.</summary>
    public long DropAfterBytes { get; set; }

    public int DropsLeft { get; set; }

    /// <summary>Digests whose served bytes differ from the content the digest names.</summary>
    public HashSet<string> Corrupted { get; } = [];

    public static async Task<FakeOllamaRegistry> StartAsync()
    {
        var (registry, origin, cdn) = await OriginWithCdn.StartAsync(app => new FakeOllamaRegistry(app), (app, registry) =>
        {
            app.MapGet("/v2/{ns}/{model}/manifests/{tag}", registry.ManifestAsync);
            app.MapMethods("/v2/{ns}/{model}/blobs/{digest}", ["GET", "HEAD"], registry.Blob);
            app.MapMethods("/cdn/{digest}", ["GET", "HEAD"], registry.CdnAsync);
        });
        (registry.Endpoint, registry._cdnEndpoint) = (origin, cdn);
        return registry;
    }

    /// <summary>Publishes NS/MODEL:TAG with these layers (media type, content), in order, and returns each layer's digest.</summary>
    public string[] Add(string name, params (string MediaType, byte[] Content)[] layers)
    {
        var digests = layers.Select(l => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(l.Content))).ToArray();
        for (var i = 0; i < layers.Length; i++) _blobs[digests[i]] = layers[i].Content;
        var config = Encoding.UTF8.GetBytes("""{"model_format":"gguf","model_family":"test"}""");
        var configDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(config));
        _blobs[configDigest] = config;
        var manifest = new
        {
            schemaVersion = 2,
            mediaType = "application/vnd.docker.distribution.manifest.v2+json",
            config = new { mediaType = "application/vnd.docker.container.image.v1+json", digest = configDigest, size = config.Length },
            layers = layers.Select((l, i) => new { mediaType = l.MediaType, digest = digests[i], size = l.Content.LongLength }),
        };
        _manifests[name] = JsonSerializer.SerializeToUtf8Bytes(manifest);
        return digests;
    }

    /// <summary>A text layer.</summary>
    public static (string, byte[]) Text(string mediaType, string text) => (mediaType, Encoding.UTF8.GetBytes(text));

    public int CountRequests(string prefix) => Requests.Count(r => r.StartsWith(prefix, StringComparison.Ordinal));

    private void Record(HttpContext context) =>
        Requests.Enqueue($"{context.Request.Method} {context.Request.Path} range={context.Request.Headers.Range} accept={context.Request.Headers.Accept}");

    private async Task ManifestAsync(HttpContext context, string ns, string model, string tag)
    {
        Record(context);
        if (!_manifests.TryGetValue($"{ns}/{model}:{tag}", out var manifest))
        {
            context.Response.StatusCode = 404;
            await context.Response.WriteAsync("""{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}""");
            return;
        }
        context.Response.ContentType = "application/vnd.docker.distribution.manifest.v2+json";
        await context.Response.Body.WriteAsync(manifest);
    }

    private void Blob(HttpContext context, string ns, string model, string digest)
    {
        Record(context);
        if (!_blobs.ContainsKey(digest))
        {
            context.Response.StatusCode = 404;
            return;
        }
        context.Response.StatusCode = 307;
        context.Response.Headers.Location = $"{_cdnEndpoint}/cdn/{digest}";
    }

    private async Task CdnAsync(HttpContext context, string digest)
    {
        Record(context);
        if (!_blobs.TryGetValue(digest, out var content)) { context.Response.StatusCode = 404; return; }
        if (Corrupted.Contains(digest))
        {
            content = (byte[])content.Clone();
            content[content.Length / 2] ^= 0xFF;
        }
        var cut = context.Request.Method == "GET" && DropsLeft > 0 && content.Length > DropAfterBytes;
        if (cut) DropsLeft--;
        await RangeServing.ServeAsync(context, content, cut ? DropAfterBytes : null);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
