using System.Net;
using System.Text.Json;

namespace Moxing.Server.Store.Hub;

/// <summary>
/// Talks to the Hugging Face Hub's HTTP layout (or a mirror of it): lists a repository through
/// <c>/api/models/ORG/REPO/revision/REV</c> and downloads files from <c>/ORG/REPO/resolve/REV/FILE</c>, resuming with Range requests
/// and checking each file's sha256 against the LFS oid (listing, X-Linked-Etag or ETag).
/// </summary>
public sealed class HubClient : IDisposable
{
    private const long MaxListingBytes = 32L << 20;

    private readonly PullTransport _transport;
    private readonly bool _hasToken;

    /// <summary>A client for the endpoint, token, retries and timeouts of <paramref name="options"/>.</summary>
    public HubClient(PullOptions options)
    {
        var token = options.ResolveToken();
        _hasToken = token != null;
        _transport = new PullTransport(options.ResolveEndpoint(), token, options, "check --endpoint / HF_ENDPOINT",
            "the repository is private or gated: set HF_TOKEN to a token that has access");
    }

    /// <summary>The endpoint in use.</summary>
    public Uri Endpoint => _transport.Endpoint;

    /// <summary>Lists <paramref name="repository"/> at <paramref name="revision"/>, with sizes and LFS digests where the server gives them.</summary>
    public async Task<HubRepository> ListAsync(string repository, string revision, CancellationToken cancellation)
    {
        var url = new Uri(Endpoint, $"api/models/{repository}/revision/{Uri.EscapeDataString(revision)}?blobs=true");
        using var response = await _transport.SendAsync(HttpMethod.Get, url, null, cancellation);
        if (response.Final.StatusCode == HttpStatusCode.NotFound)
            throw new HubException($"hf:{repository}: repository or revision '{revision}' not found at {Endpoint} (HTTP 404){TokenHint}", HttpStatusCode.NotFound);
        _transport.EnsureSuccess(response.Final, $"hf:{repository}");
        var body = await PullTransport.ReadLimitedAsync(response.Final, MaxListingBytes, url, cancellation);
        try
        {
            return ParseListing(repository, body);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new HubException($"{url}: the repository listing is not the Hub's JSON shape ({e.Message})");
        }
    }

    /// <summary>
    /// Downloads <paramref name="file"/> into <paramref name="folder"/>, resuming a partial download left there, and returns the path of the
    /// verified file (named <c>sha256-HEX</c>) and its digest. A digest mismatch deletes the partial file and throws.
    /// </summary>
    public async Task<(string Path, string Digest)> DownloadAsync(string repository, string revision, HubFile file, string folder,
        Action<long, long?> progress, CancellationToken cancellation)
    {
        var url = new Uri(Endpoint, $"{repository}/resolve/{Uri.EscapeDataString(revision)}/{string.Join('/', file.Path.Split('/').Select(Uri.EscapeDataString))}");
        var what = $"hf:{repository}/{file.Path}";
        PullTransport.FileFacts facts;
        using (var head = await _transport.SendAsync(HttpMethod.Head, url, null, cancellation))
        {
            if (head.Final.StatusCode == HttpStatusCode.NotFound)
                throw new HubException($"{what}: not found at revision '{revision}' (HTTP 404 from {url})", HttpStatusCode.NotFound);
            if (!PullTransport.IsRedirect(head.Final)) _transport.EnsureSuccess(head.Final, what);
            facts = head.Facts;
        }
        var expected = file.Digest ?? ContentDigest.FromEntityTag(facts.Etag);
        return await _transport.DownloadAsync(url, what, expected, file.Size ?? facts.Size, facts.Etag, folder, progress, cancellation);
    }

    /// <summary>Closes the connections.</summary>
    public void Dispose() => _transport.Dispose();

    private string TokenHint => _hasToken ? "" : "; if it is private or gated, set HF_TOKEN";

    private static HubRepository ParseListing(string repository, byte[] body)
    {
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("siblings", out var siblings) || siblings.ValueKind != JsonValueKind.Array)
            throw new JsonException("expected an object with a 'siblings' array");
        var commit = root.TryGetProperty("sha", out var sha) && sha.ValueKind == JsonValueKind.String ? sha.GetString() : null;
        var files = new List<HubFile>();
        foreach (var sibling in siblings.EnumerateArray())
        {
            var path = sibling.GetProperty("rfilename").GetString();
            if (ModelFilePath.Problem(path) is { } problem) throw new JsonException($"sibling '{path}': {problem}");
            long? size = sibling.TryGetProperty("size", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt64() : null;
            string? digest = null;
            if (sibling.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object)
            {
                if (lfs.TryGetProperty("sha256", out var oid) && oid.ValueKind == JsonValueKind.String) digest = ContentDigest.FromEntityTag(oid.GetString());
                if (lfs.TryGetProperty("size", out var lfsSize) && lfsSize.ValueKind == JsonValueKind.Number) size = lfsSize.GetInt64();
            }
            files.Add(new HubFile(path!, size, digest));
        }
        return new HubRepository(repository, commit is { Length: > 0 } ? commit : null, files);
    }
}
