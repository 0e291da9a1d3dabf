using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Moxing.Server.Http;
using Moxing.Server.Models;
using Moxing.Server.Store;
using Moxing.Server.Store.Hub;
using Moxing.Server.Store.Registry;

namespace Moxing.Server.Ollama;

/// <summary>
/// Ollama's store changes: <c>POST /api/pull</c> (an Ollama registry name or a Hugging Face reference into the model store, with NDJSON
/// progress) and
/// <c>DELETE /api/delete</c> (removes a stored model, unloading it first).
/// </summary>
public sealed class OllamaStoreEndpoint(ModelManager models, string? hubEndpoint, string? ollamaRegistry)
{
    // A download reports every buffer; one progress line per file per interval is plenty.
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Handles /api/pull: <c>{"model": "qwen2.5:0.5b" or "hf.co/ORG/REPO[:QUANT]", "stream": true}</c>.</summary>
    public async Task PullAsync(HttpContext context)
    {
        var cancellation = context.RequestAborted;
        var r = await OllamaRequest.ReadAsync(context);
        var key = r.Has("model") ? "model" : "name";
        var reference = r.RequiredString(key);
        var stream = r.Bool("stream") ?? true;
        r.Bool("insecure");
        r.RejectUnknown();
        var store = StoreOf(key);
        // A malformed name is a 400 before any progress is streamed.
        PullOptions options;
        if (HubReference.IsHubReference(reference))
        {
            HubReference.Parse(reference);
            // hf.co/… names are kept as given (as Ollama does), so the name pulled is the name to run.
            var name = !reference.StartsWith("hf:", StringComparison.OrdinalIgnoreCase) && ModelName.TryParse(reference, out var given) ? given.ToString() : null;
            options = new PullOptions { Endpoint = hubEndpoint, Name = name };
        }
        else
        {
            OllamaReference.Parse(reference).DefaultName();
            options = new PullOptions { Endpoint = ollamaRegistry };
        }

        await RunReportingAsync<PullProgress>(context, stream,
            reports => store.PullAsync(reference, options, new ThrottledProgress(reports), cancellation), WriteReport);
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the thread pool with a channel it reports to, and answers as Ollama's store changes do: with
    /// <paramref name="stream"/>, each report as an NDJSON line, then "success" — or, the lines being out, the failure as a last
    /// line; without, one success object once the work is done (a failure is the request's error).
    /// </summary>
    internal static async Task RunReportingAsync<T>(HttpContext context, bool stream, Func<ChannelWriter<T>, Task> work, Action<Utf8JsonWriter, T> write)
    {
        var cancellation = context.RequestAborted;
        var reports = Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleReader = true });
        var task = Task.Run(async () =>
        {
            try
            {
                await work(reports.Writer);
            }
            finally
            {
                reports.Writer.TryComplete();
            }
        }, cancellation);
        if (!stream)
        {
            await foreach (var _ in reports.Reader.ReadAllAsync(cancellation)) { }
            await task;
            await JsonStreamWriter.WriteObjectAsync(context, w => WriteStatus(w, "success"));
            return;
        }
        var lines = JsonStreamWriter.JsonLines(context.Response);
        await foreach (var report in reports.Reader.ReadAllAsync(cancellation)) await lines.WriteAsync(w => write(w, report), cancellation);
        try
        {
            await task;
        }
        catch (Exception e) when (!cancellation.IsCancellationRequested)
        {
            await lines.WriteAsync(w => ApiError.Write(w, ApiError.From(e), ollama: true), cancellation);
            return;
        }
        await lines.WriteAsync(w => WriteStatus(w, "success"), cancellation);
    }

    /// <summary>Handles /api/copy: <c>{"source": NAME, "destination": NAME}</c> registers the source's files under a second name
    /// (replacing a model so named, which is unloaded first); 404 when the store has no such source.</summary>
    public async Task CopyAsync(HttpContext context)
    {
        var r = await OllamaRequest.ReadAsync(context);
        var source = r.RequiredString("source");
        var destination = r.RequiredString("destination");
        r.RejectUnknown();
        var store = StoreOf("source");
        if (!ModelName.TryParse(destination, out var target))
            throw ApiException.BadParameter("destination", $"'{destination}' is not a valid model name");
        if (models.Catalog.Find(source) is not { } entry) throw new ApiException(404, $"model '{source}' not found", "not_found_error", "source", "model_not_found");
        if (models.Catalog.Find(target.ToString()) is { } replaced) await models.UnloadAsync(replaced.Name);
        try
        {
            store.Copy(entry.Name, target.ToString());
        }
        catch (ModelNotFoundException)
        {
            throw new ApiException(404, $"model '{source}' not found", "not_found_error", "source", "model_not_found");
        }
        context.Response.StatusCode = 200;
    }

    /// <summary>Handles /api/delete: <c>{"model": NAME}</c>; 404 when the store has no such model.</summary>
    public async Task DeleteAsync(HttpContext context)
    {
        var r = await OllamaRequest.ReadAsync(context);
        var key = r.Has("model") ? "model" : "name";
        var name = r.RequiredString(key);
        r.RejectUnknown();
        var store = StoreOf(key);
        if (models.Catalog.Find(name) is not { } entry) throw new ApiException(404, $"model '{name}' not found", "not_found_error", key, "model_not_found");
        await models.UnloadAsync(entry.Name);
        try
        {
            store.Remove(entry.Name);
        }
        catch (ModelNotFoundException)
        {
            // Removed by someone else between the lookup and now.
            throw new ApiException(404, $"model '{name}' not found", "not_found_error", key, "model_not_found");
        }
        context.Response.StatusCode = 200;
    }

    private ModelStore StoreOf(string param) => StoreOf(models, param);

    /// <summary>The model store <paramref name="models"/> serve from, or a 400 naming <paramref name="param"/> when they serve paths.</summary>
    internal static ModelStore StoreOf(ModelManager models, string param) => models.Catalog is StoreModelCatalog catalog
        ? catalog.Store
        : throw new ApiException(400, "this server serves models given by path, not a model store; start it without --model to pull, create or delete models",
            param: param, code: "no_model_store");

    private static void WriteReport(Utf8JsonWriter w, PullProgress report)
    {
        if (report.Stage != PullStage.Downloading)
        {
            WriteStatus(w, report.Stage switch
            {
                PullStage.Listing => "pulling manifest",
                PullStage.Verifying => "verifying sha256 digest",
                PullStage.Notice => report.Message!,
                _ => "writing manifest",
            });
            return;
        }
        w.WriteStartObject();
        w.WriteString("status", "downloading");
        if (report.Digest is not null) w.WriteString("digest", report.Digest);
        if (report.File is not null) w.WriteString("file", report.File);
        if (report.Total is { } total) w.WriteNumber("total", total);
        w.WriteNumber("completed", report.Completed);
        w.WriteEndObject();
    }

    /// <summary>Writes <c>{"status": STATUS}</c>.</summary>
    internal static void WriteStatus(Utf8JsonWriter w, string status)
    {
        w.WriteStartObject();
        w.WriteString("status", status);
        w.WriteEndObject();
    }

    // Passes stage changes and each file's first and last report at once, other download reports at most once per interval.
    private sealed class ThrottledProgress(ChannelWriter<PullProgress> reports) : IProgress<PullProgress>
    {
        private readonly Lock _gate = new();
        private string? _file;
        private long _last;

        public void Report(PullProgress value)
        {
            // The endpoint writes "success" itself once the pull's task has ended.
            if (value.Stage == PullStage.Done) return;
            lock (_gate)
            {
                var now = Stopwatch.GetTimestamp();
                var pass = value.Stage != PullStage.Downloading || value.File != _file || value.Completed == value.Total
                           || Stopwatch.GetElapsedTime(_last, now) >= ProgressInterval;
                if (!pass) return;
                _file = value.File;
                _last = now;
                reports.TryWrite(value);
            }
        }
    }
}
