using System.Net;
using System.Text;
using System.Text.Json;
using Moxing.Server.Store.Hub;

namespace Moxing.Server.Store.Registry;

/// <summary>
/// Talks to an Ollama registry (the Docker registry v2 layout Ollama serves): the manifest at <c>/v2/NAMESPACE/MODEL/manifests/TAG</c>
/// lists the model's layers, each a blob at <c>/v2/NAMESPACE/MODEL/blobs/DIGEST</c> (usually a redirect to a CDN) whose sha256 is its digest.
/// </summary>
internal sealed class OllamaRegistryClient(Uri endpoint, PullOptions options) : IDisposable
{
    private const string ManifestMediaType = "application/vnd.docker.distribution.manifest.v2+json";
    private const long MaxManifestBytes = 1 << 20;
    private const long MaxTextLayerBytes = 1 << 20;

    // Public models need no credentials; a Hub token must never go to another service.
    private readonly PullTransport _transport = new(endpoint, null, options, $"check --endpoint / {OllamaReference.RegistryVariable}",
        "the registry does not let this model be pulled without credentials, which moxing does not send");

    /// <summary>The registry in use.</summary>
    public Uri Endpoint => _transport.Endpoint;

    /// <summary>The layers of <paramref name="reference"/>'s manifest; a missing model or tag is a 404 <see cref="HubException"/> naming it.</summary>
    public async Task<IReadOnlyList<OllamaLayer>> ManifestAsync(OllamaReference reference, CancellationToken cancellation)
    {
        var url = new Uri(Endpoint, reference.ManifestPath);
        using var response = await _transport.SendAsync(HttpMethod.Get, url, null, cancellation, ManifestMediaType);
        if (response.Final.StatusCode == HttpStatusCode.NotFound)
            throw new HubException($"{reference}: model '{reference.Model}:{reference.Tag}' not found in namespace '{reference.Namespace}' of the Ollama registry at {Endpoint} (HTTP 404 from {url}); check the name and tag", HttpStatusCode.NotFound);
        _transport.EnsureSuccess(response.Final, reference.ToString());
        var body = await PullTransport.ReadLimitedAsync(response.Final, MaxManifestBytes, url, cancellation);
        try
        {
            return ParseManifest(body);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw new HubException($"{url}: the manifest is not an Ollama registry manifest ({e.Message})");
        }
    }

    /// <summary>A small layer (params, system prompt, license) as UTF-8 text, checked against its digest.</summary>
    public async Task<string> ReadTextAsync(OllamaReference reference, OllamaLayer layer, CancellationToken cancellation)
    {
        var what = $"{reference} {layer.Kind} layer";
        if (layer.Size > MaxTextLayerBytes) throw new HubException($"{what}: {layer.Size} bytes, more than a {layer.Kind} layer may hold ({MaxTextLayerBytes >> 20} MiB)");
        var url = new Uri(Endpoint, reference.BlobPath(layer.Digest));
        using var response = await _transport.SendAsync(HttpMethod.Get, url, null, cancellation);
        _transport.EnsureSuccess(response.Final, what);
        var bytes = await PullTransport.ReadLimitedAsync(response.Final, MaxTextLayerBytes, url, cancellation);
        var actual = ContentDigest.Of(bytes);
        if (actual != layer.Digest) throw new HubException($"{what}: sha256 mismatch: expected {layer.Digest}, downloaded {actual}; nothing was registered");
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>Downloads a layer into <paramref name="folder"/> (resuming, verifying its digest); returns the file and its digest.</summary>
    public Task<(string Path, string Digest)> DownloadAsync(OllamaReference reference, OllamaLayer layer, string folder, Action<long, long?> progress,
        CancellationToken cancellation) =>
        _transport.DownloadAsync(new Uri(Endpoint, reference.BlobPath(layer.Digest)), $"{reference} {layer.Kind} layer", layer.Digest, layer.Size, null,
            folder, progress, cancellation);

    /// <summary>Closes the connections.</summary>
    public void Dispose() => _transport.Dispose();

    private static List<OllamaLayer> ParseManifest(byte[] body)
    {
        using var doc = JsonDocument.Parse(body);
        if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("layers", out var layers) || layers.ValueKind != JsonValueKind.Array)
            throw new JsonException("expected an object with a 'layers' array");
        var result = new List<OllamaLayer>();
        foreach (var layer in layers.EnumerateArray())
        {
            var type = layer.GetProperty("mediaType").GetString() ?? throw new JsonException("a layer has no mediaType");
            var digest = layer.GetProperty("digest").GetString();
            if (!ContentDigest.IsValid(digest)) throw new JsonException($"layer {type} has digest '{digest}', expected sha256: and 64 hex digits");
            var size = layer.GetProperty("size").GetInt64();
            if (size < 0) throw new JsonException($"layer {type} has a negative size");
            result.Add(new OllamaLayer(type, digest!, size));
        }
        return result;
    }
}
