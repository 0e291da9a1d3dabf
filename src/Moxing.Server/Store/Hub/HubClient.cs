using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Moxing.Core;

namespace Moxing.Server.Store.Hub;

/// <summary>
/// Talks to the Hugging Face Hub's HTTP layout (or a mirror of it): lists a repository through
/// <c>/api/models/ORG/REPO/revision/REV</c> and downloads files from <c>/ORG/REPO/resolve/REV/FILE</c>, resuming with Range requests
/// and checking each file's sha256 against the LFS oid (listing, X-Linked-Etag or ETag).
/// </summary>
public sealed class HubClient : IDisposable
{
    private const int MaxRedirects = 10;
    private const long MaxListingBytes = 32L << 20;
    private const int BufferSize = 1 << 20;

    private readonly HttpClient _http;
    private readonly Uri _endpoint;
    private readonly string? _token;
    private readonly PullOptions _options;

    /// <summary>A client for the endpoint, token, retries and timeouts of <paramref name="options"/>.</summary>
    public HubClient(PullOptions options)
    {
        _options = options;
        _endpoint = options.ResolveEndpoint();
        _token = options.ResolveToken();
        _http = new HttpClient(new SocketsHttpHandler
        {
            // Redirects are followed by hand: the token must not leak to a CDN, and X-Linked-Etag sits on the first hop.
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(30),
        })
        { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("moxing", typeof(HubClient).Assembly.GetName().Version?.ToString() ?? "0"));
    }

    /// <summary>The endpoint in use.</summary>
    public Uri Endpoint => _endpoint;

    /// <summary>Lists <paramref name="repository"/> at <paramref name="revision"/>, with sizes and LFS digests where the server gives them.</summary>
    public async Task<HubRepository> ListAsync(string repository, string revision, CancellationToken cancellation)
    {
        var url = new Uri(_endpoint, $"api/models/{repository}/revision/{Uri.EscapeDataString(revision)}?blobs=true");
        using var response = await SendAsync(HttpMethod.Get, url, null, cancellation);
        if (response.Final.StatusCode == HttpStatusCode.NotFound)
            throw new HubException($"hf:{repository}: repository or revision '{revision}' not found at {_endpoint} (HTTP 404){TokenHint}", HttpStatusCode.NotFound);
        EnsureSuccess(response.Final, $"hf:{repository}");
        var body = await ReadLimitedAsync(response.Final, MaxListingBytes, url, cancellation);
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
        var url = new Uri(_endpoint, $"{repository}/resolve/{Uri.EscapeDataString(revision)}/{string.Join('/', file.Path.Split('/').Select(Uri.EscapeDataString))}");
        var what = $"hf:{repository}/{file.Path}";
        FileFacts facts;
        using (var head = await SendAsync(HttpMethod.Head, url, null, cancellation))
        {
            if (head.Final.StatusCode == HttpStatusCode.NotFound)
                throw new HubException($"{what}: not found at revision '{revision}' (HTTP 404 from {url})", HttpStatusCode.NotFound);
            if (!IsRedirect(head.Final)) EnsureSuccess(head.Final, what);
            facts = head.Facts;
        }
        var expected = file.Digest ?? ContentDigest.FromEntityTag(facts.Etag);
        var size = file.Size ?? facts.Size;
        if (expected != null)
        {
            var done = Path.Combine(folder, ContentDigest.FileName(expected));
            if (File.Exists(done)) return (done, expected);
        }
        // Partial files are named by what identifies the content, so a changed file never resumes onto stale bytes.
        var key = expected != null ? ContentDigest.Hex(expected) : Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{url}\n{facts.Etag}")))[..40];
        var partPath = Path.Combine(folder, key + ".part");
        Directory.CreateDirectory(folder);
        string actual;
        using (var part = OpenPart(partPath, what))
        {
            if (expected == null && facts.Etag == null) part.SetLength(0);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await HashExistingAsync(part, hash, cancellation);
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    await TransferAsync(url, what, part, hash, size, progress, cancellation);
                    break;
                }
                catch (Exception e) when (IsTransient(e, cancellation) && attempt < _options.Retries)
                {
                    await Task.Delay(_options.RetryDelay * (1 << attempt), cancellation);
                }
                catch (Exception e) when (IsTransient(e, cancellation))
                {
                    part.Flush(flushToDisk: true);
                    throw new HubException($"{what}: the download broke off after {part.Length} of {(size?.ToString() ?? "?")} bytes ({e.Message}); the partial file is kept: run the same pull again to resume");
                }
            }
            part.Flush(flushToDisk: true);
            if (size != null && part.Length != size)
                throw new HubException($"{what}: downloaded {part.Length} bytes, expected {size}");
            actual = ContentDigest.FromHash(hash.GetHashAndReset());
        }
        if (expected != null && actual != expected)
        {
            File.Delete(partPath);
            throw new HubException($"{what}: sha256 mismatch: expected {expected}, downloaded {actual}; the download was deleted and nothing was registered");
        }
        var finished = Path.Combine(folder, ContentDigest.FileName(actual));
        File.Move(partPath, finished, overwrite: true);
        return (finished, actual);
    }

    /// <summary>Closes the connections.</summary>
    public void Dispose() => _http.Dispose();

    private string TokenHint => _token == null ? "; if it is private or gated, set HF_TOKEN" : "";

    private static FileStream OpenPart(string path, string what)
    {
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        }
        catch (IOException e) when (File.Exists(path))
        {
            throw new MoxingException($"{what}: another moxing process is downloading it right now ({path} is locked)", e);
        }
    }

    private static async Task HashExistingAsync(FileStream part, IncrementalHash hash, CancellationToken cancellation)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            part.Position = 0;
            int n;
            while ((n = await part.ReadAsync(buffer.AsMemory(0, BufferSize), cancellation)) > 0) hash.AppendData(buffer, 0, n);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // One GET from the end of the partial file to the end of the file; a broken connection surfaces as IOException.
    private async Task TransferAsync(Uri url, string what, FileStream part, IncrementalHash hash, long? size, Action<long, long?> progress,
        CancellationToken cancellation)
    {
        var offset = part.Length;
        if (size != null && offset == size) return;
        if (size != null && offset > size) offset = Restart(part, hash);
        using var response = await SendAsync(HttpMethod.Get, url, offset > 0 ? offset : null, cancellation);
        var status = response.Final.StatusCode;
        if (status == HttpStatusCode.RequestedRangeNotSatisfiable && size == null) return;
        if (status == HttpStatusCode.OK && offset > 0) offset = Restart(part, hash);
        else if (status == HttpStatusCode.PartialContent && response.Final.Content.Headers.ContentRange?.From != offset)
            throw new HubException($"{what}: the server answered a range that does not start at byte {offset}");
        else if (status != HttpStatusCode.PartialContent) EnsureSuccess(response.Final, what);
        var total = size ?? (status == HttpStatusCode.OK ? response.Final.Content.Headers.ContentLength : response.Final.Content.Headers.ContentRange?.Length);
        part.Position = offset;
        progress(offset, total);
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        await using var body = await response.Final.Content.ReadAsStreamAsync(cancellation);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                idle.CancelAfter(_options.IdleTimeout);
                int n;
                try
                {
                    n = await body.ReadAsync(buffer.AsMemory(0, BufferSize), idle.Token);
                }
                catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
                {
                    throw new IOException($"no data for {_options.IdleTimeout.TotalSeconds:F0} s");
                }
                if (n == 0) break;
                await part.WriteAsync(buffer.AsMemory(0, n), cancellation);
                hash.AppendData(buffer, 0, n);
                offset += n;
                progress(offset, total);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        if (total != null && offset < total) throw new IOException($"the connection closed after {offset} of {total} bytes");
    }

    private static long Restart(FileStream part, IncrementalHash hash)
    {
        part.SetLength(0);
        hash.GetHashAndReset();
        return 0;
    }

    private static bool IsTransient(Exception e, CancellationToken cancellation) =>
        !cancellation.IsCancellationRequested && e is IOException or HttpRequestException or HubException { Transient: true };

    private static void EnsureSuccess(HttpResponseMessage response, string what)
    {
        if (response.IsSuccessStatusCode) return;
        var status = response.StatusCode;
        var hint = status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
            ? ": access denied; the repository is private or gated: set HF_TOKEN to a token that has access"
            : "";
        throw new HubException($"{what}: HTTP {(int)status} {response.ReasonPhrase} from {response.RequestMessage?.RequestUri}{hint}", status);
    }

    private sealed record FileFacts(string? Etag, long? Size);

    private sealed class Exchange(HttpResponseMessage final, FileFacts facts) : IDisposable
    {
        public HttpResponseMessage Final { get; } = final;
        public FileFacts Facts { get; } = facts;
        public void Dispose() => Final.Dispose();
    }

    private static bool IsRedirect(HttpResponseMessage response) => (int)response.StatusCode is >= 300 and < 400 && response.Headers.Location != null;

    // Follows redirects by hand, keeping the Hub's X-Linked-Etag / X-Linked-Size from the hop that carries them. A HEAD stops at a
    // redirect to another host, as huggingface_hub does: presigned CDN URLs accept only GET, and the facts are on the Hub's answer.
    private async Task<Exchange> SendAsync(HttpMethod method, Uri url, long? rangeFrom, CancellationToken cancellation)
    {
        string? etag = null;
        long? size = null;
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(method, url);
            if (rangeFrom != null) request.Headers.Range = new RangeHeaderValue(rangeFrom, null);
            if (_token != null && IsEndpointHost(url)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellation);
            }
            catch (HttpRequestException e) when (e.InnerException is not IOException)
            {
                throw new HubException($"{url}: cannot reach the Hub ({e.Message}); check --endpoint / HF_ENDPOINT");
            }
            etag ??= Header(response, "X-Linked-Etag");
            size ??= long.TryParse(Header(response, "X-Linked-Size"), out var linked) ? linked : null;
            if (IsRedirect(response))
            {
                var next = response.Headers.Location!.IsAbsoluteUri ? response.Headers.Location : new Uri(url, response.Headers.Location);
                if (method == HttpMethod.Head && next.Authority != url.Authority) return new Exchange(response, new FileFacts(etag ?? response.Headers.ETag?.Tag, size));
                response.Dispose();
                if (hop == MaxRedirects) throw new HubException($"{url}: more than {MaxRedirects} redirects");
                url = next;
                continue;
            }
            etag ??= response.Headers.ETag?.Tag;
            if (size == null && method == HttpMethod.Head && response.IsSuccessStatusCode) size = response.Content.Headers.ContentLength;
            return new Exchange(response, new FileFacts(etag, size));
        }
    }

    private bool IsEndpointHost(Uri url) =>
        string.Equals(url.Host, _endpoint.Host, StringComparison.OrdinalIgnoreCase) && url.Port == _endpoint.Port && url.Scheme == _endpoint.Scheme;

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static async Task<byte[]> ReadLimitedAsync(HttpResponseMessage response, long limit, Uri url, CancellationToken cancellation)
    {
        if (response.Content.Headers.ContentLength > limit) throw new HubException($"{url}: the answer is larger than {limit >> 20} MiB");
        await using var stream = await response.Content.ReadAsStreamAsync(cancellation);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await stream.ReadAsync(chunk, cancellation)) > 0)
        {
            if (buffer.Length + n > limit) throw new HubException($"{url}: the answer is larger than {limit >> 20} MiB");
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

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
