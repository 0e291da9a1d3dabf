using System.Text.Json;
using System.Text.Json.Nodes;
using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Models;
using Moxing.Server.Http;
using Moxing.Server.Ollama;
using Moxing.Server.Store.Hub;

namespace Moxing.Server.Store.Registry;

/// <summary>
/// One pull from an Ollama registry: read the manifest, refuse what cannot run here (LoRA adapters), read the params,
/// system and license layers, download (or reuse) the GGUF layer and its vision projector, check they load, and register them with those defaults.
/// </summary>
internal sealed class OllamaPull(ModelStore store, OllamaReference reference, PullOptions options, IProgress<PullProgress>? progress)
{
    public async Task<StoreEntry> RunAsync(CancellationToken cancellation)
    {
        var name = options.Name != null ? ModelName.Parse(options.Name) : reference.DefaultName();
        using var client = new OllamaRegistryClient(reference.Registry(options.Endpoint), options);
        progress?.Report(new PullProgress(PullStage.Listing));
        var layers = await client.ManifestAsync(reference, cancellation);
        var model = ModelLayer(layers);
        var defaults = new ModelDefaults();
        string? license = null;
        foreach (var layer in layers)
        {
            switch (layer.MediaType)
            {
                case OllamaLayer.ParamsType:
                    defaults = ReadParams(await client.ReadTextAsync(reference, layer, cancellation)) with { System = defaults.System };
                    break;
                case OllamaLayer.SystemType:
                    defaults = defaults with { System = await client.ReadTextAsync(reference, layer, cancellation) };
                    break;
                case OllamaLayer.LicenseType:
                    var text = await client.ReadTextAsync(reference, layer, cancellation);
                    license = license == null ? text : license + "\n\n" + text;
                    break;
            }
        }
        using var pull = new PullStaging(store, ModelFormat.Gguf, progress);
        await pull.AddAsync($"{reference.Model}-{reference.Tag}.gguf", model.Digest, model.Size,
            (folder, report) => client.DownloadAsync(reference, model, folder, report, cancellation), cancellation);
        if (layers.FirstOrDefault(l => l.MediaType == OllamaLayer.ProjectorType) is { } projector)
            await pull.AddAsync($"mmproj-{reference.Model}-{reference.Tag}.gguf", projector.Digest, projector.Size,
                (folder, report) => client.DownloadAsync(reference, projector, folder, report, cancellation), cancellation, projector: true);
        return pull.Register(name, $"{reference} ({client.Endpoint})", reference.ToString(), cancellation, defaults, license, TemplateNotice);
    }

    // The weights: exactly one GGUF layer, and nothing this engine cannot apply to it.
    private OllamaLayer ModelLayer(IReadOnlyList<OllamaLayer> layers)
    {
        foreach (var layer in layers)
        {
            if (layer.MediaType == OllamaLayer.AdapterType)
                throw new MoxingException($"{reference}: the model has a LoRA adapter layer ({layer.MediaType}, {layer.Digest}); adapters are not supported: pull the base model or a merged one");
        }
        var models = layers.Where(l => l.MediaType == OllamaLayer.ModelType).ToList();
        return models.Count == 1 ? models[0]
            : throw new MoxingException($"{reference}: the manifest has {models.Count} model layers ({OllamaLayer.ModelType}); expected exactly one GGUF");
    }

    // The params layer is an Ollama options object: the values this engine honours become the model's defaults; others are reported.
    private ModelDefaults ReadParams(string json)
    {
        var what = $"{reference} params layer";
        try
        {
            var body = JsonNode.Parse(json, documentOptions: JsonRequest.ParseOptions) as JsonObject
                       ?? throw new MoxingException($"{what}: expected a JSON object of options");
            var values = OllamaOptions.ReadValues(new JsonRequest(body, "params."));
            var ignored = body.Select(p => p.Key).Where(k => !values.Parameters().Any(p => p.Key == k)).ToList();
            if (ignored.Count > 0)
                progress?.Report(new PullProgress(PullStage.Notice, Message: $"{reference}: its parameters {string.Join(", ", ignored)} have no effect here"));
            return values;
        }
        catch (Exception e) when (e is JsonException or ApiException)
        {
            throw new MoxingException($"{what}: not usable: {e.Message}", e);
        }
    }

    private string? TemplateNotice(string path, ModelDetails details)
    {
        if (details.Kind != ModelKind.Generation) return null;
        using var gguf = GgufFile.Open(path);
        return gguf.Metadata.ContainsKey("tokenizer.chat_template") ? null
            : $"{reference}: its GGUF has no tokenizer.chat_template and Ollama's Go template is not run here, so chat endpoints refuse it; "
              + "use /api/generate with raw, or /v1/completions";
    }
}
