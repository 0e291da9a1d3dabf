using Moxing.Core;
using Moxing.Core.Formats;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Encoder;
using Moxing.Models.Families;
using Moxing.Models.Layers;
using Moxing.Text.Templates;
using Moxing.Text.Tokenization;

namespace Moxing.Models;

/// <summary>Opens a Hugging Face model folder or a GGUF file as a <see cref="LoadedModel"/>.</summary>
public static class ModelLoader
{
    /// <summary>
    /// Loads the model at <paramref name="path"/> (a folder with config.json, or a .gguf file) with the vision projector
    /// <paramref name="projector"/> (an mmproj GGUF) when given; a Gemma 3 folder's own vision tower loads with it.
    /// </summary>
    public static LoadedModel Load(string path, string? projector = null)
    {
        if (projector != null && !File.Exists(projector)) throw new MoxingException($"{projector}: no such projector (mmproj GGUF) file");
        if (Directory.Exists(path)) return WithProjector(LoadHf(path), projector);
        if (File.Exists(path)) return WithProjector(LoadGguf(path), projector);
        throw new MoxingException($"{path}: no such model folder or GGUF file");
    }

    // The model with the mmproj's tower in place of any it has.
    private static LoadedModel WithProjector(LoadedModel model, string? projector)
    {
        if (projector == null) return model;
        return Guard(model, () =>
        {
            var vision = Vision.VisionLoader.LoadGguf(projector, model.RequireDecoder().Options.HiddenSize);
            model.Vision?.Dispose();
            model.Vision = vision;
            return model;
        });
    }

    /// <summary>Only the tokenizer of a model folder, a GGUF file, or a tokenizer.json file (no weights are bound).</summary>
    public static Tokenizer LoadTokenizer(string path)
    {
        if (Directory.Exists(path))
            return HfTokenizer(path) ?? throw new MoxingException($"{path}: no tokenizer.json in the folder");
        if (!File.Exists(path)) throw new MoxingException($"{path}: no such model folder, GGUF file or tokenizer.json");
        if (!GgufFile.HasMagic(path)) return Tokenizer.FromJson(path);
        using var file = GgufFile.Open(path);
        return GgufTokenizer(file, path) ?? throw new MoxingException($"{path}: the GGUF file has no tokenizer");
    }

    /// <summary>Only the chat templates of a model folder, a GGUF file, or a tokenizer_config.json file.</summary>
    public static ChatTemplateSource LoadChatTemplates(string path)
    {
        if (Directory.Exists(path)) return ChatTemplateSource.FromDirectory(path);
        if (!File.Exists(path)) throw new MoxingException($"{path}: no such model folder, GGUF file or tokenizer_config.json");
        if (!GgufFile.HasMagic(path)) return ChatTemplateSource.FromTokenizerConfig(path);
        using var file = GgufFile.Open(path);
        var tokenizer = GgufTokenizer(file, path);
        return GgufChatTemplate(file, tokenizer) ?? throw new MoxingException($"{path}: the GGUF file has no tokenizer.chat_template");
    }

    // llama.cpp writes tokenizer.ggml.model "no_vocab" (or "none") for a model that has no tokenizer.
    private static Tokenizer? GgufTokenizer(GgufFile file, string path) =>
        file.Metadata.TryGetString("tokenizer.ggml.model", out var kind) && kind is not ("no_vocab" or "none")
            ? Tokenizer.FromGguf(file.Metadata, path) : null;

    private static LoadedModel LoadHf(string folder)
    {
        var configPath = System.IO.Path.Combine(folder, "config.json");
        if (!File.Exists(configPath))
            throw new InvalidModelFileException(folder, "not a model folder: config.json is missing");
        var config = HfConfig.Load(configPath);
        var modelType = config.GetString("model_type");
        var generation = Generation(folder, config);
        if (ModelRegistry.EncoderTypes.Contains(modelType))
        {
            var head = EncoderConfigs.HeadFromHf(config, modelType, configPath);
            var (options, names) = EncoderConfigs.FromHf(config, modelType, configPath);
            var tensors = ModelTensors.OpenFolder(folder);
            var (encoder, classifier) = Guard(tensors, () => (BertModel.Load(options, tensors, names, folder),
                head == null ? null : ClassifierHead.Load(tensors, names.BasePrefix, head, options.HiddenSize, folder)));
            return new LoadedModel
            {
                Path = folder,
                Format = ModelFormat.HuggingFace,
                Architecture = modelType,
                Tensors = tensors.Tensors,
                Encoder = encoder,
                Classifier = classifier,
                MaxContext = options.MaxPositions,
                Tokenizer = HfTokenizer(folder),
            };
        }
        var family = ModelRegistry.ForModelType(modelType)
                     ?? throw new InvalidModelFileException(configPath, $"model_type '{modelType}' is not supported; supported: {ModelRegistry.SupportedList}");
        var decoderOptions = family.FromHf(config);
        var source = family.OpenHf(folder, decoderOptions);
        var decoder = Guard(source, () => new DecoderLoader(source, folder, decoderOptions, family.HfNames).Load());
        return Guard(decoder, () =>
        {
            var tokenizer = HfTokenizer(folder);
            return new LoadedModel
            {
                Path = folder,
                Format = ModelFormat.HuggingFace,
                Architecture = modelType,
                Decoder = decoder,
                Tensors = source.Tensors,
                Computed = source is DerivedTensors derived ? derived.Computed : [],
                MaxContext = decoderOptions.MaxContext,
                Tokenizer = tokenizer,
                Vision = Vision.VisionLoader.LoadHf(folder, config, decoderOptions.HiddenSize),
                EosTokenIds = generation.EosTokenIds.Length > 0 || tokenizer?.EosTokenId is not { } eos ? generation.EosTokenIds : [eos],
                ChatTemplates = HasChatTemplate(folder) ? ChatTemplateSource.FromDirectory(folder) : null,
            };
        });
    }

    // generation_config.json's eos_token_id wins over config.json's.
    private static GenerationConfig Generation(string folder, HfConfig config)
    {
        var path = System.IO.Path.Combine(folder, "generation_config.json");
        var fromConfig = GenerationConfig.From(config);
        if (!File.Exists(path)) return fromConfig;
        var generation = GenerationConfig.Load(path);
        return generation.EosTokenIds.Length > 0 ? generation : generation with { EosTokenIds = fromConfig.EosTokenIds };
    }

    private static LoadedModel LoadGguf(string path)
    {
        var file = GgufFile.Open(path);
        return Guard(file, () =>
        {
            var architecture = file.Metadata.GetString("general.architecture");
            if (ModelRegistry.EncoderGgufArchitectures.Contains(architecture)) return LoadGgufEncoder(file, path, architecture);
            var family = ModelRegistry.ForGgufArchitecture(architecture)
                         ?? throw new InvalidModelFileException(path, $"architecture '{architecture}' is not supported; supported: {ModelRegistry.SupportedGgufList}");
            var options = family.FromGguf(file);
            var tokenizer = GgufTokenizer(file, path);
            return new LoadedModel
            {
                Path = path,
                Format = ModelFormat.Gguf,
                Architecture = architecture,
                Tensors = file.Tensors,
                Decoder = new DecoderLoader(file, path, options, family.GgufNames).Load(),
                EosTokenIds = GgufEndOfGeneration(file, tokenizer),
                MaxContext = options.MaxContext,
                Tokenizer = tokenizer,
                ChatTemplates = GgufChatTemplate(file, tokenizer),
            };
        });
    }

    private static LoadedModel LoadGgufEncoder(GgufFile file, string path, string architecture)
    {
        var (options, names) = EncoderConfigs.FromGguf(file);
        var head = EncoderConfigs.HeadFromGguf(file);
        return new LoadedModel
        {
            Path = path,
            Format = ModelFormat.Gguf,
            Architecture = architecture,
            Tensors = file.Tensors,
            Encoder = BertModel.Load(options, file, names, path),
            Classifier = head == null ? null : ClassifierHead.Load(file, "", head, options.HiddenSize, path),
            MaxContext = options.MaxPositions,
            Tokenizer = GgufTokenizer(file, path),
        };
    }

    private static Tokenizer? HfTokenizer(string folder)
    {
        var path = System.IO.Path.Combine(folder, "tokenizer.json");
        return File.Exists(path) ? Tokenizer.FromJson(path) : null;
    }

    private static bool HasChatTemplate(string folder)
    {
        if (File.Exists(System.IO.Path.Combine(folder, "chat_template.jinja"))) return true;
        var config = System.IO.Path.Combine(folder, "tokenizer_config.json");
        return File.Exists(config) && HfConfig.Load(config).Has("chat_template");
    }

    // llama.cpp ends generation on EOS and on the end-of-turn / end-of-message tokens a GGUF names, and, as llama.cpp does for
    // a harmony vocabulary (gpt-oss, whose GGUFs name only <|return|>), on <|return|> and on <|call|>, which ends a tool call.
    private static int[] GgufEndOfGeneration(GgufFile file, Tokenizer? tokenizer) =>
        new[] { "eos", "eot", "eom" }
            .Select(k => file.Metadata.TryGetInt32($"tokenizer.ggml.{k}_token_id", out var id) ? id : -1)
            .Concat(HarmonyEnds(tokenizer))
            .Where(id => id >= 0).Distinct().ToArray();

    private static IEnumerable<int> HarmonyEnds(Tokenizer? tokenizer) =>
        tokenizer?.TokenToId("<|return|>") is { } done && tokenizer.TokenToId("<|call|>") is { } call ? [done, call] : [];

    private static ChatTemplateSource? GgufChatTemplate(GgufFile file, Tokenizer? tokenizer)
    {
        if (!file.Metadata.TryGetString("tokenizer.chat_template", out var template)) return null;
        string? Token(int? id) => id is { } i ? tokenizer?.IdToToken(i) : null;
        return ChatTemplateSource.FromTemplate(template, Token(tokenizer?.BosTokenId), Token(tokenizer?.EosTokenId));
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
}
