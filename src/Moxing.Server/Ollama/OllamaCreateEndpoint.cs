using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Moxing.Core.Quantization.Mixes;
using Moxing.Server.Http;
using Moxing.Server.Models;
using Moxing.Server.Store;

namespace Moxing.Server.Ollama;

/// <summary>
/// Ollama's model creation: <c>POST /api/create</c> (a new name for a stored model with its own system prompt, parameters and license,
/// optionally quantized; or a model made of uploaded files) and <c>HEAD/POST /api/blobs/DIGEST</c> (the uploads), as <c>ollama create</c>
/// and Open WebUI send them.
/// </summary>
public sealed class OllamaCreateEndpoint(ModelManager models)
{
    /// <summary>Handles /api/create: <c>{"model", "from" | "files", "system", "parameters", "license", "quantize", "stream"}</c>.</summary>
    public async Task CreateAsync(HttpContext context)
    {
        var cancellation = context.RequestAborted;
        var r = await OllamaRequest.ReadAsync(context);
        var key = r.Has("model") ? "model" : "name";
        var name = r.RequiredString(key);
        if (!ModelName.TryParse(name, out var target)) throw ApiException.BadParameter(key, $"'{name}' is not a valid model name");
        var plan = ReadPlan(r);
        var stream = r.Bool("stream") ?? true;
        r.RejectUnknown();
        var store = OllamaStoreEndpoint.StoreOf(models, key);
        if (plan.From is { } from && models.Catalog.Find(from) is null) throw NotFound(from);

        await OllamaStoreEndpoint.RunReportingAsync<string>(context, stream, async statuses =>
        {
            if (models.Catalog.Find(target.ToString()) is { } replaced) await models.UnloadAsync(replaced.Name);
            try
            {
                Create(store, plan, target.ToString(), statuses, cancellation);
            }
            catch (ModelNotFoundException) when (plan.From is not null)
            {
                // the source vanished meanwhile
                throw NotFound(plan.From);
            }
        }, OllamaStoreEndpoint.WriteStatus);
    }

    /// <summary>Handles HEAD /api/blobs/DIGEST: 200 when the store holds that content, else 404.</summary>
    public Task ExistsAsync(HttpContext context)
    {
        var digest = Digest(context);
        var store = OllamaStoreEndpoint.StoreOf(models, "digest");
        context.Response.StatusCode = store.HasContent(digest) ? 200 : 404;
        return Task.CompletedTask;
    }

    /// <summary>Handles POST /api/blobs/DIGEST: stores the body (any size, streamed to disk) when its sha256 is DIGEST; 201 Created.</summary>
    public async Task UploadAsync(HttpContext context)
    {
        var digest = Digest(context);
        var store = OllamaStoreEndpoint.StoreOf(models, "digest");
        if (!ContentDigest.IsValid(digest)) throw ApiException.BadParameter("digest", $"'{digest}' is not a digest: expected sha256: and 64 lower-case hex digits");
        // Model files are gigabytes: this body goes to disk as it arrives, so the server's --max-body does not apply to it.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = null;
        await store.AddUploadAsync(digest, context.Request.Body, context.RequestAborted);
        context.Response.StatusCode = 201;
    }

    // The {digest} route value.
    private static string Digest(HttpContext context) => context.Request.RouteValues["digest"] as string ?? "";

    /// <summary>What a create request asks for.</summary>
    private sealed record Plan(string? From, IReadOnlyDictionary<string, string>? Files, ModelDefaults? Defaults, string? License, QuantizationMix? Quantize);

    private static Plan ReadPlan(JsonRequest r)
    {
        var from = r.String("from");
        var files = r.Object("files") is { } list ? Files(r, list) : null;
        if ((from is null) == (files is null)) throw ApiException.BadParameter("from", "give exactly one of 'from' (a model to derive from) and 'files' (uploaded files)");
        if (r.Object("adapters") is { Count: > 0 }) throw r.Unsupported("adapters", "LoRA adapters are not supported: create from a merged model");
        if (r.String("template") is { Length: > 0 })
            throw r.Unsupported("template", "Go templates are not run here; the model's own chat template (GGUF tokenizer.chat_template or the folder's) is used");
        if (r.Array("messages") is { Count: > 0 }) throw r.Unsupported("messages", "preset conversations are not supported; give a system prompt");
        var parameters = r.Nested("parameters");
        var defaults = parameters is null ? new ModelDefaults() : OllamaOptions.ReadModelParameters(parameters);
        if (r.String("system") is { } system) defaults = defaults with { System = system };
        var license = r.StringOrList("license") is { Count: > 0 } texts ? string.Join("\n\n", texts) : null;
        QuantizationMix? mix = null;
        if (r.String("quantize") is { } quantize)
        {
            mix = QuantizationMix.Find(quantize) ?? throw ApiException.BadParameter("quantize",
                $"'{quantize}' is not a quantization type; known: {string.Join(", ", QuantizationMix.Known.Where(m => !m.RequiresImportance).Select(m => m.Name))}");
            if (mix.RequiresImportance) throw ApiException.BadParameter("quantize", $"{mix.Name} needs an importance matrix: use moxing imatrix and moxing quantize");
            if (from is null) throw ApiException.BadParameter("quantize", "'quantize' applies to a model given by 'from'");
        }
        return new Plan(from, files, defaults.IsEmpty ? null : defaults, license, mix);
    }

    // "files": {"path in the model": "sha256:…"}.
    private static Dictionary<string, string> Files(JsonRequest r, JsonObject list)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, node) in list)
        {
            var digest = node is JsonValue v && v.TryGetValue<string>(out var text) ? text : throw r.Wrong($"files.{path}", "a digest string");
            if (ModelFilePath.Problem(path) is { } problem) throw ApiException.BadParameter("files", problem);
            if (!ContentDigest.IsValid(digest)) throw ApiException.BadParameter("files", $"'{path}': '{digest}' is not a digest");
            files[path] = digest;
        }
        if (files.Count == 0) throw ApiException.BadParameter("files", "'files' names no file");
        return files;
    }

    private static void Create(ModelStore store, Plan plan, string name, ChannelWriter<string> status, CancellationToken cancellation)
    {
        if (plan.Files is { } files)
        {
            status.TryWrite("parsing model files");
            store.CreateFromFiles(files, name, plan.Defaults, plan.License, cancellation);
        }
        else if (plan.Quantize is { } mix)
        {
            status.TryWrite($"quantizing {plan.From} to {mix.Name}");
            var reported = -1;
            store.CreateQuantized(plan.From!, name, mix, plan.Defaults, plan.License, (i, n) =>
            {
                // a line per tenth of the tensors
                var tenth = 10 * (i + 1) / n;
                if (tenth == reported) return;
                reported = tenth;
                status.TryWrite($"quantizing tensor {i + 1} of {n}");
            }, cancellation);
        }
        else
        {
            status.TryWrite("using existing layers");
            store.Copy(plan.From!, name, plan.Defaults, plan.License);
        }
        status.TryWrite("writing manifest");
    }

    private static ApiException NotFound(string name) => new(404, $"model '{name}' not found", "not_found_error", "from", "model_not_found");
}
