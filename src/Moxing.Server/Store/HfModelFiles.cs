using System.Text.Json;
using Moxing.Core;
using Moxing.Core.Formats;

namespace Moxing.Server.Store;

/// <summary>Which files of a Hugging Face model folder or repository a model needs: config, tokenizer, templates, generation settings and the weights the loader opens.</summary>
public static class HfModelFiles
{
    /// <summary>The file every model folder has.</summary>
    public const string ConfigFileName = "config.json";

    // Tokenizer, template, generation and image-processor files transformers reads next to config.json.
    private static readonly string[] Companions =
    [
        "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
        "chat_template.jinja", "chat_template.json", "tokenizer.model", "vocab.json", "merges.txt", "vocab.txt", "preprocessor_config.json",
    ];

    private const string TemplateFolder = "additional_chat_templates/";
    private const long MaxIndexBytes = 64L << 20;

    /// <summary>True when <paramref name="available"/> holds a config.json and safetensors weights (single file or index).</summary>
    public static bool IsModel(IReadOnlyCollection<string> available) =>
        available.Contains(ConfigFileName) && (available.Contains(ModelTensors.IndexFileName) || available.Contains(ModelTensors.SingleFileName));

    /// <summary>
    /// The needed files among <paramref name="available"/> (relative '/' paths), weights last; when the model is sharded the list ends
    /// with the index and <see cref="Shards"/> of that index must be added.
    /// </summary>
    public static List<string> Select(IReadOnlyCollection<string> available, string source)
    {
        if (!available.Contains(ConfigFileName))
            throw new InvalidModelFileException(source, $"not a Hugging Face model: {ConfigFileName} is missing");
        var files = new List<string> { ConfigFileName };
        foreach (var name in Companions)
            if (available.Contains(name)) files.Add(name);
        foreach (var name in available.Where(n => n.StartsWith(TemplateFolder, StringComparison.Ordinal) && n.EndsWith(".jinja", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            files.Add(name);
        if (available.Contains(ModelTensors.IndexFileName)) files.Add(ModelTensors.IndexFileName);
        else if (available.Contains(ModelTensors.SingleFileName)) files.Add(ModelTensors.SingleFileName);
        else throw new InvalidModelFileException(source, $"no weights: neither {ModelTensors.IndexFileName} nor {ModelTensors.SingleFileName} is present");
        return files;
    }

    /// <summary>True when <paramref name="selected"/> ends with the index of a sharded model.</summary>
    public static bool IsSharded(List<string> selected) => selected[^1] == ModelTensors.IndexFileName;

    /// <summary>The shard files an index's weight_map names, each once, in order of first mention, checked to be safe relative paths.</summary>
    public static List<string> Shards(string indexPath)
    {
        if (new FileInfo(indexPath).Length > MaxIndexBytes)
            throw new InvalidModelFileException(indexPath, $"the index is larger than {MaxIndexBytes >> 20} MiB");
        using var doc = Parse(indexPath);
        if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            throw new InvalidModelFileException(indexPath, "expected an object with a 'weight_map' object (tensor name → shard file)");
        var shards = new List<string>();
        foreach (var entry in map.EnumerateObject())
        {
            var shard = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString() : null;
            if (ModelFilePath.Problem(shard) is { } problem)
                throw new InvalidModelFileException(indexPath, $"weight_map entry '{entry.Name}': {problem}");
            if (!shards.Contains(shard!)) shards.Add(shard!);
        }
        if (shards.Count == 0) throw new InvalidModelFileException(indexPath, "weight_map is empty");
        return shards;
    }

    private static JsonDocument Parse(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidModelFileException(path, $"not valid JSON: {e.Message}", e);
        }
    }
}
