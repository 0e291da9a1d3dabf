using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Moxing.Inference.Tools;
using Moxing.Models;
using Moxing.Server.Generation;
using Moxing.Server.Http;
using Moxing.Server.Models;
using Moxing.Server.Store;
using Moxing.Server.Tenants;

namespace Moxing.Server.Ollama;

/// <summary>Ollama's model information: <c>/api/tags</c>, <c>/api/show</c>, <c>/api/ps</c> and <c>/api/version</c>.</summary>
public sealed class OllamaModelsEndpoint(ModelManager models)
{
    /// <summary>The server version reported by /api/version.</summary>
    public static string Version { get; } =
        typeof(OllamaModelsEndpoint).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>GET /api/tags: every model the server can serve to the caller (its key's and tenant's allowed models).</summary>
    public Task TagsAsync(HttpContext context)
    {
        var resident = models.Resident();
        return JsonStreamWriter.WriteObjectAsync(context, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("models");
            foreach (var entry in models.Catalog.List())
            {
                if (!KeyAuthentication.MayUse(context, entry.Name)) continue;
                w.WriteStartObject();
                WriteIdentity(w, entry);
                w.WriteString("modified_at", entry.ModifiedAt.ToString("O"));
                ModelDetails.Write(w, entry, resident.FirstOrDefault(r => r.Entry == entry)?.Model);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>GET /api/ps: the models in memory that the caller may use, their size and when they unload.</summary>
    public Task PsAsync(HttpContext context)
    {
        var resident = models.Resident();
        return JsonStreamWriter.WriteObjectAsync(context, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("models");
            foreach (var r in resident)
            {
                if (!KeyAuthentication.MayUse(context, r.Entry.Name)) continue;
                w.WriteStartObject();
                WriteIdentity(w, r.Entry, r.MemoryBytes);
                ModelDetails.Write(w, r.Entry, r.Model);
                // Ollama writes a far-future time for models that never expire.
                w.WriteString("expires_at", (r.ExpiresAt ?? DateTimeOffset.MaxValue.AddDays(-1)).ToString("O"));
                w.WriteNumber("size_vram", 0);
                if (r.Settings is { } s) w.WriteNumber("context_length", s.Context);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>POST /api/show: template, details, architecture numbers and capabilities of one model.</summary>
    public async Task ShowAsync(HttpContext context)
    {
        var r = await OllamaRequest.ReadAsync(context);
        var name = r.String("model") ?? r.String("name") ?? throw new ApiException(400, "'model' is required", param: "model", code: "missing_required_parameter");
        r.Bool("verbose");
        r.RejectUnknown();
        var entry = models.Catalog.Find(name) ?? throw ApiException.ModelNotFound(name);
        var resident = models.Resident().FirstOrDefault(m => m.Entry == entry);
        // Reading a model that is not resident maps its files without building an engine.
        using var opened = resident is null ? ModelLoader.Load(entry.Path, entry.Projector) : null;
        var model = resident?.Model ?? opened!;
        await JsonStreamWriter.WriteObjectAsync(context, w => WriteShow(w, entry, model));
    }

    private static void WriteShow(Utf8JsonWriter w, CatalogEntry entry, LoadedModel model)
    {
        w.WriteStartObject();
        var defaults = entry.Defaults;
        w.WriteString("license", entry.License ?? "");
        w.WriteString("modelfile", Store.Modelfile.Render(entry.Path, entry.Defaults));
        w.WriteString("parameters", defaults?.ParameterText() ?? "");
        w.WriteString("template", model.ChatTemplates?.Templates.GetValueOrDefault("default") ?? "");
        if (defaults?.System is { } system) w.WriteString("system", system);
        ModelDetails.Write(w, entry, model);
        w.WriteStartObject("model_info");
        w.WriteString("general.architecture", model.Architecture);
        w.WriteNumber("general.parameter_count", model.ParameterCount);
        if (model.Decoder?.Options is { } d)
        {
            w.WriteNumber($"{model.Architecture}.context_length", model.MaxContext);
            w.WriteNumber($"{model.Architecture}.embedding_length", d.HiddenSize);
            w.WriteNumber($"{model.Architecture}.block_count", d.LayerCount);
            w.WriteNumber($"{model.Architecture}.attention.head_count", d.HeadCount);
            w.WriteNumber($"{model.Architecture}.attention.head_count_kv", d.KvHeadCount);
            w.WriteNumber($"{model.Architecture}.vocab_size", d.VocabSize);
        }
        else if (model.Encoder?.Options is { } e)
        {
            w.WriteNumber($"{model.Architecture}.context_length", e.MaxPositions);
            w.WriteNumber($"{model.Architecture}.embedding_length", e.HiddenSize);
            w.WriteNumber($"{model.Architecture}.block_count", e.LayerCount);
            w.WriteNumber($"{model.Architecture}.attention.head_count", e.HeadCount);
            w.WriteNumber($"{model.Architecture}.feed_forward_length", e.IntermediateSize);
            w.WriteNumber($"{model.Architecture}.vocab_size", e.VocabSize);
            // llama.cpp's pooling_type numbers, as Ollama shows them: 1 mean, 2 cls, 3 last
            w.WriteNumber($"{model.Architecture}.pooling_type", Embeddings.EmbeddingPoolings.For(model) switch
            {
                Embeddings.EmbeddingPooling.FirstToken => 2,
                Embeddings.EmbeddingPooling.LastToken => 3,
                _ => 1,
            });
        }
        w.WriteEndObject();
        w.WriteStartArray("capabilities");
        foreach (var capability in Capabilities(model)) w.WriteStringValue(capability);
        w.WriteEndArray();
        w.WriteString("modified_at", entry.ModifiedAt.ToString("O"));
        w.WriteEndObject();
    }

    /// <summary>What a model can do, as Ollama names it: completion or embedding; tools when its template renders tools in a
    /// call format we parse; thinking when it writes think blocks; vision when it has a vision tower.</summary>
    public static IEnumerable<string> Capabilities(LoadedModel model)
    {
        if (model.Decoder is null)
        {
            yield return "embedding";
            yield break;
        }
        yield return "completion";
        var templates = model.ChatTemplates?.Templates.Values ?? [];
        if (templates.Any(t => t.Contains("tools", StringComparison.Ordinal) && ToolCallFormats.FromChatTemplate(t) is not null)) yield return "tools";
        if (ReasoningParsing.For(templates) is not null) yield return "thinking";
        if (model.Vision is not null) yield return "vision";
    }

    /// <summary>GET /api/version.</summary>
    public static Task VersionAsync(HttpContext context) => JsonStreamWriter.WriteObjectAsync(context, w =>
    {
        w.WriteStartObject();
        w.WriteString("version", Version);
        w.WriteEndObject();
    });

    private static void WriteIdentity(Utf8JsonWriter w, CatalogEntry entry, long? size = null)
    {
        var tagged = ModelName.WithTag(entry.Name);
        w.WriteString("name", tagged);
        w.WriteString("model", tagged);
        w.WriteNumber("size", size ?? entry.SizeBytes);
        w.WriteString("digest", entry.Digest.StartsWith("sha256:", StringComparison.Ordinal) ? entry.Digest[7..] : entry.Digest);
    }
}
