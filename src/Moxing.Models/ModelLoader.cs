using System.Text.Json;
using Moxing.Core;
using Moxing.Core.Formats;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Encoder;
using Moxing.Models.Families;

namespace Moxing.Models;

/// <summary>Opens a Hugging Face model folder or a GGUF file as a <see cref="LoadedModel"/>.</summary>
public static class ModelLoader
{
    /// <summary>Loads the model at <paramref name="path"/> (a folder with config.json, or a .gguf file).</summary>
    public static LoadedModel Load(string path)
    {
        if (Directory.Exists(path)) return LoadHf(path);
        if (File.Exists(path)) return LoadGguf(path);
        throw new MoxingException($"{path}: no such model folder or GGUF file");
    }

    private static LoadedModel LoadHf(string folder)
    {
        var configPath = System.IO.Path.Combine(folder, "config.json");
        if (!File.Exists(configPath))
            throw new InvalidModelFileException(folder, "not a model folder: config.json is missing");
        using var doc = ReadJson(configPath);
        var config = new HfHyperParameters(doc.RootElement, configPath);
        var modelType = config.ModelType;
        var generation = GenerationDefaults(folder, config);
        if (ModelRegistry.EncoderTypes.Contains(modelType))
        {
            var options = new BertOptions(config.Int("vocab_size"), config.Int("hidden_size"), config.Int("num_hidden_layers"),
                config.Int("num_attention_heads"), config.Int("intermediate_size"), config.Int("max_position_embeddings"),
                (float)config.Number("layer_norm_eps", 1e-12), HfActivation(config, "hidden_act", "gelu"));
            var tensors = ModelTensors.OpenFolder(folder);
            return new LoadedModel
            {
                Path = folder, Format = ModelFormat.HuggingFace, Architecture = modelType, Tensors = tensors.Tensors,
                Encoder = Guard(tensors, () => BertModel.Load(options, tensors, folder)), MaxContext = options.MaxPositions,
            };
        }
        var family = ModelRegistry.ForModelType(modelType)
                     ?? throw new InvalidModelFileException(configPath, $"model_type '{modelType}' is not supported; supported: {ModelRegistry.SupportedList}");
        var decoderOptions = family.FromHf(config);
        var source = ModelTensors.OpenFolder(folder);
        var decoder = Guard(source, () => new DecoderLoader(source, folder, decoderOptions, family.HfNames).Load());
        return new LoadedModel
        {
            Path = folder, Format = ModelFormat.HuggingFace, Architecture = modelType, Decoder = decoder,
            Tensors = source.Tensors, EosTokenIds = generation, MaxContext = decoderOptions.MaxContext,
        };
    }

    private static LoadedModel LoadGguf(string path)
    {
        var file = GgufFile.Open(path);
        return Guard(file, () =>
        {
            var architecture = file.Metadata.GetString("general.architecture");
            var family = ModelRegistry.ForGgufArchitecture(architecture)
                         ?? throw new InvalidModelFileException(path, $"architecture '{architecture}' is not supported; supported: {string.Join(", ", ModelRegistry.DecoderFamilies.SelectMany(f => f.GgufArchitectures).Distinct().Order())}");
            var options = family.FromGguf(file);
            var eos = file.Metadata.TryGetInt32("tokenizer.ggml.eos_token_id", out var e) ? new[] { e } : [];
            return new LoadedModel
            {
                Path = path, Format = ModelFormat.Gguf, Architecture = architecture, Tensors = file.Tensors,
                Decoder = new DecoderLoader(file, path, options, family.GgufNames).Load(), EosTokenIds = eos,
                MaxContext = options.MaxContext,
            };
        });
    }

    // Disposes the tensor source when building on top of it fails, so a bad model leaks no mapping.
    private static T Guard<T>(IDisposable source, Func<T> build)
    {
        try { return build(); }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    private static JsonDocument ReadJson(string path)
    {
        try { return JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e) { throw new InvalidModelFileException(path, $"malformed JSON: {e.Message}", e); }
    }

    private static Activation HfActivation(HfHyperParameters config, string key, string fallback)
    {
        var name = config.Has(key) ? config.String(key) : fallback;
        return name switch
        {
            "gelu" => Activation.GeluErf,
            "gelu_new" or "gelu_pytorch_tanh" => Activation.GeluTanh,
            "silu" or "swish" => Activation.Silu,
            "relu" => Activation.Relu,
            _ => throw new InvalidModelFileException(config.Path, $"activation '{name}' is not supported (gelu, gelu_new, gelu_pytorch_tanh, silu, relu)"),
        };
    }

    // generation_config.json's eos_token_id wins over config.json's; either may be a number or a list.
    private static int[] GenerationDefaults(string folder, HfHyperParameters config)
    {
        var generationPath = System.IO.Path.Combine(folder, "generation_config.json");
        if (File.Exists(generationPath))
        {
            using var doc = ReadJson(generationPath);
            if (EosIds(doc.RootElement, generationPath) is { } ids) return ids;
        }
        using var configDoc = ReadJson(config.Path);
        return EosIds(configDoc.RootElement, config.Path) ?? [];
    }

    private static int[]? EosIds(JsonElement root, string path)
    {
        if (!root.TryGetProperty("eos_token_id", out var v) || v.ValueKind == JsonValueKind.Null) return null;
        var items = v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().ToArray() : [v];
        var ids = new int[items.Length];
        for (var i = 0; i < items.Length; i++)
            if (items[i].ValueKind != JsonValueKind.Number || !items[i].TryGetInt32(out ids[i]) || ids[i] < 0)
                throw new InvalidModelFileException(path, "'eos_token_id' must be a token id or a list of token ids");
        return ids;
    }
}
