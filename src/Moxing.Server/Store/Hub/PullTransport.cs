using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Moxing.Core;

namespace Moxing.Server.Store.Hub;

/// <summary>
/// The HTTP half of every pull (Hugging Face Hub, Ollama registry): follows redirects by hand (a token goes only to the endpoint's own
/// host), resumes downloads with Range requests, retries broken transfers, and checks each file's sha256 before it is kept.
/// </summary>
internal sealed class PullTransport : IDisposable
{
    private const int MaxRedirects = 10;
    private const int BufferSize = 1 << 20;

    private readonly HttpClient _http;
    private readonly string? _token;
    private readonly PullOptions _options;
    private readonly string _unreachableHint;
    private readonly string _deniedHint;

    /// <summary>
    /// A transport to <paramref name="endpoint"/> with the retries and timeouts of <paramref name="options"/>; <paramref name="token"/> is sent
    /// to that host only. <paramref name="unreachableHint"/> and <paramref name="deniedHint"/> end the messages of a failed connection and of a 401/403.
    /// </summary>
    public PullTransport(Uri endpoint, string? token, PullOptions options, string unreachableHint, string deniedHint)
    {
        Endpoint = endpoint;
        _token = token;
        _options = options;
        _unreachableHint = unreachableHint;
        _deniedHint = deniedHint;
        _http = new HttpClient(new SocketsHttpHandler
        {
            // Redirects are followed by hand: the token must not leak to a CDN, and X-Linked-Etag sits on the first hop.
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(30),
        })
        { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("moxing", typeof(PullTransport).Assembly.GetName().Version?.ToString() ?? "0"));
    }

    /// <summary>The endpoint in use.</summary>
    public Uri Endpoint { get; }

    /// <summary>
    /// Downloads <paramref name="url"/> into <paramref name="folder"/>, resuming a partial download left there, and returns the path of the
    /// verified file (named <c>sha256-HEX</c>) and its digest. <paramref name="expected"/>: the digest it must have (else the download's own);
    /// <paramref name="etag"/>: names the partial file when no digest is known. A digest mismatch deletes the partial file and throws.
    /// </summary>
    public async Task<(string Path, string Digest)> DownloadAsync(Uri url, string what, string? expected, long? size, string? etag, string folder,
        Action<long, long?> progress, CancellationToken cancellation)
    {
        if (expected != null)
        {
            var done = Path.Combine(folder, ContentDigest.FileName(expected));
            if (File.Exists(done)) return (done, expected);
        }
        // Partial files are named by what identifies the content, so a changed file never resumes onto stale bytes.
        var key = expected != null ? ContentDigest.Hex(expected) : Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{url}\n{etag}")))[..40];
        var partPath = Path.Combine(folder, key + ".part");
        Directory.CreateDirectory(folder);
        string actual;
        using (var part = OpenPart(partPath, what))
        {
            if (expected == null && etag == null) part.SetLength(0);
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

    /// <summary>Throws a <see cref="HubException"/> naming <paramref name="what"/>, the status and the URL unless the answer is a success.</summary>
    public void EnsureSuccess(HttpResponseMessage response, string what)
    {
        if (response.IsSuccessStatusCode) return;
        var status = response.StatusCode;
        var hint = status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? ": access denied; " + _deniedHint : "";
        throw new HubException($"{what}: HTTP {(int)status} {response.ReasonPhrase} from {response.RequestMessage?.RequestUri}{hint}", status);
    }

    /// <summary>What a file's server says about it: its ETag (or the Hub's X-Linked-Etag) and size.</summary>
    public sealed record FileFacts(string? Etag, long? Size);

    /// <summary>The last answer of a chain of redirects, and the facts gathered on the way.</summary>
    public sealed class Exchange(HttpResponseMessage final, FileFacts facts) : IDisposable
    {
        /// <summary>The answer that is no redirect (or, for a HEAD, the redirect to another host).</summary>
        public HttpResponseMessage Final { get; } = final;

        /// <summary>ETag and size, from the first hop that gave them.</summary>
        public FileFacts Facts { get; } = facts;

        /// <summary>Disposes the answer.</summary>
        public void Dispose() => Final.Dispose();
    }

    /// <summary>True for a 3xx with a Location.</summary>
    public static bool IsRedirect(HttpResponseMessage response) => (int)response.StatusCode is >= 300 and < 400 && response.Headers.Location != null;

    /// <summary>
    /// Sends a request, following redirects by hand and keeping the Hub's X-Linked-Etag / X-Linked-Size from the hop that carries them. A HEAD
    /// stops at a redirect to another host, as huggingface_hub does: presigned CDN URLs accept only GET, and the facts are on the first answer.
    /// </summary>
    public async Task<Exchange> SendAsync(HttpMethod method, Uri url, long? rangeFrom, CancellationToken cancellation, string? accept = null)
    {
        string? etag = null;
        long? size = null;
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(method, url);
            if (rangeFrom != null) request.Headers.Range = new RangeHeaderValue(rangeFrom, null);
            if (accept != null) request.Headers.Accept.ParseAdd(accept);
            if (_token != null && IsEndpointHost(url)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellation);
            }
            catch (HttpRequestException e) when (e.InnerException is not IOException)
            {
                throw new HubException($"{url}: cannot connect ({e.Message}); {_unreachableHint}");
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
        string.Equals(url.Host, Endpoint.Host, StringComparison.OrdinalIgnoreCase) && url.Port == Endpoint.Port && url.Scheme == Endpoint.Scheme;

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    /// <summary>The body of <paramref name="response"/>, refused when it is larger than <paramref name="limit"/> bytes.</summary>
    public static async Task<byte[]> ReadLimitedAsync(HttpResponseMessage response, long limit, Uri url, CancellationToken cancellation)
    {
        if (response.Content.Headers.ContentLength > limit) throw TooLarge(url, limit);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellation);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await stream.ReadAsync(chunk, cancellation)) > 0)
        {
            if (buffer.Length + n > limit) throw TooLarge(url, limit);
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    private static HubException TooLarge(Uri url, long limit) =>
        new($"{url}: the answer is larger than {(limit >= 1 << 20 ? $"{limit >> 20} MiB" : $"{limit >> 10} KiB")}");
}
