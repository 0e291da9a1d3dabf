using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Moxing.Server.Tests.Store;

/// <summary>
/// A Hugging Face Hub on loopback (Kestrel, port 0) serving repositories the way huggingface.co does: the listing at
/// /api/models/ORG/REPO/revision/REV (siblings with size and lfs.sha256 when blobs=true), files at /ORG/REPO/resolve/REV/FILE — LFS files
/// as a 302 to a CDN path carrying X-Linked-Etag / X-Linked-Size — with Range support, and faults to inject.
/// </summary>
internal sealed class FakeHub : IAsyncDisposable
{
    public const string Commit = "c0ffee0000000000000000000000000000000001";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, List<HubEntry>> _repos = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[]> _cdn = new(StringComparer.Ordinal);

    private sealed record HubEntry(string Path, byte[] Content, bool Lfs, string Sha256);

    private FakeHub(WebApplication app) => _app = app;

    public string Endpoint { get; private set; } = "";

    private string _cdnEndpoint = "";

    /// <summary>Every request: "METHOD /path range=… auth=yes|no".</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>False: the listing gives no size or lfs object (a plain mirror); clients must use the headers.</summary>
    public bool ListsLfsMetadata { get; set; } = true;

    /// <summary>When set, the API and resolve paths answer 401 without "Authorization: Bearer TOKEN".</summary>
    public string? RequiredToken { get; set; }

    /// <summary>The next <see cref="DropsLeft"/> CDN downloads send this many bytes and then cut the connection.</summary>
    public long DropAfterBytes { get; set; }

    public int DropsLeft { get; set; }

    /// <summary>Files (by path) whose served bytes differ from what the listing and headers promise.</summary>
    public HashSet<string> Corrupted { get; } = [];

    public static async Task<FakeHub> StartAsync()
    {
        var (hub, origin, cdn) = await OriginWithCdn.StartAsync(app => new FakeHub(app), (app, hub) =>
        {
            app.MapGet("/api/models/{org}/{repo}/revision/{rev}", hub.ListAsync);
            app.MapMethods("/{org}/{repo}/resolve/{rev}/{**path}", ["GET", "HEAD"], hub.ResolveAsync);
            app.MapMethods("/cdn/{sha}", ["GET", "HEAD"], hub.CdnAsync);
        });
        (hub.Endpoint, hub._cdnEndpoint) = (origin, cdn);
        return hub;
    }

    /// <summary>Adds a repository file; LFS ones are served through the CDN redirect.</summary>
    public void Add(string repo, string path, byte[] content, bool? lfs = null)
    {
        var isLfs = lfs ?? !path.EndsWith(".json", StringComparison.Ordinal) && !path.EndsWith(".jinja", StringComparison.Ordinal);
        var sha = Convert.ToHexStringLower(SHA256.HashData(content));
        _repos.GetOrAdd(repo, _ => []).Add(new HubEntry(path, content, isLfs, sha));
        _cdn[sha] = content;
    }

    /// <summary>Adds every file of a folder (recursively) to a repository.</summary>
    public void AddFolder(string repo, string folder)
    {
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            Add(repo, Path.GetRelativePath(folder, file).Replace('\\', '/'), File.ReadAllBytes(file));
    }

    public int CountRequests(string prefix) => Requests.Count(r => r.StartsWith(prefix, StringComparison.Ordinal));

    private void Record(HttpContext context) =>
        Requests.Enqueue($"{context.Request.Method} {context.Request.Path} range={context.Request.Headers.Range} auth={(context.Request.Headers.Authorization.Count > 0 ? "yes" : "no")}");

    private bool Authorized(HttpContext context) =>
        RequiredToken == null || context.Request.Headers.Authorization == $"Bearer {RequiredToken}";

    private async Task ListAsync(HttpContext context, string org, string repo, string rev)
    {
        Record(context);
        if (!Authorized(context)) { context.Response.StatusCode = 401; return; }
        if (!_repos.TryGetValue($"{org}/{repo}", out var files) || rev is not ("main" or Commit))
        {
            context.Response.StatusCode = 404;
            await context.Response.WriteAsJsonAsync(new { error = "Repository not found" });
            return;
        }
        var detailed = ListsLfsMetadata && context.Request.Query["blobs"] == "true";
        var siblings = files.Select(f => detailed
            ? (object)new { rfilename = f.Path, size = f.Content.LongLength, lfs = f.Lfs ? new { sha256 = f.Sha256, size = f.Content.LongLength, pointerSize = 134 } : null }
            : new { rfilename = f.Path });
        await context.Response.WriteAsync(JsonSerializer.Serialize(new { id = $"{org}/{repo}", modelId = $"{org}/{repo}", sha = Commit, siblings }));
    }

    private async Task ResolveAsync(HttpContext context, string org, string repo, string rev, string path)
    {
        Record(context);
        if (!Authorized(context)) { context.Response.StatusCode = 401; return; }
        var file = _repos.TryGetValue($"{org}/{repo}", out var files) && rev is "main" or Commit ? files.FirstOrDefault(f => f.Path == path) : null;
        if (file == null)
        {
            context.Response.StatusCode = 404;
            context.Response.Headers["X-Error-Code"] = "EntryNotFound";
            return;
        }
        context.Response.Headers["X-Repo-Commit"] = Commit;
        if (file.Lfs)
        {
            context.Response.StatusCode = 302;
            context.Response.Headers.Location = $"{_cdnEndpoint}/cdn/{file.Sha256}?path={Uri.EscapeDataString(path)}";
            context.Response.Headers["X-Linked-Etag"] = $"\"{file.Sha256}\"";
            context.Response.Headers["X-Linked-Size"] = file.Content.LongLength.ToString();
            context.Response.Headers.ETag = $"\"{file.Sha256}\"";
            return;
        }
        // A git blob's ETag is its sha1-like id, not a sha256: clients must not treat it as a content digest.
        context.Response.Headers.ETag = $"\"{file.Sha256[..40]}\"";
        await RangeServing.ServeAsync(context, file.Content, cutAfter: null);
    }

    private async Task CdnAsync(HttpContext context, string sha)
    {
        Record(context);
        if (!_cdn.TryGetValue(sha, out var content)) { context.Response.StatusCode = 404; return; }
        var path = context.Request.Query["path"].ToString();
        if (Corrupted.Contains(path))
        {
            content = (byte[])content.Clone();
            content[content.Length / 2] ^= 0xFF;
        }
        var cut = context.Request.Method == "GET" && DropsLeft > 0;
        if (cut) DropsLeft--;
        await RangeServing.ServeAsync(context, content, cut ? DropAfterBytes : null);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
