using System.Text.Json;
using System.Text.Json.Serialization;
using Moxing.Core;
using Moxing.Training.Data;

namespace Moxing.Training.Export;

/// <summary>
/// classifier.json of an exported classifier folder: what the input is (features, an image or text), its shape, the
/// class names in output order and the preprocessing of training (scale, normalizer statistics, tokenizer file).
/// </summary>
public sealed record ClassifierManifest
{
    /// <summary>The file name inside the folder.</summary>
    public const string FileName = "classifier.json";

    /// <summary>Marks the file as Moxing's.</summary>
    public string Format { get; init; } = "moxing-classifier";

    /// <summary>The zoo model (mlp, lenet, lstm, transformer, …).</summary>
    public required string ModelType { get; init; }

    /// <summary>features (a row of numbers), image ([C, H, W]) or text.</summary>
    public required string Input { get; init; }

    /// <summary>Shape of one example as the network reads it (text: [max tokens]).</summary>
    public required int[] Shape { get; init; }

    /// <summary>Class names, index = output.</summary>
    public required string[] Labels { get; init; }

    /// <summary>Raw values are divided by this before normalization.</summary>
    public float Scale { get; init; } = 1f;

    /// <summary>Standardization fitted on the training split, or null.</summary>
    public Normalizer? Normalizer { get; init; }

    /// <summary>Text: the vocabulary (vocab.json) or tokenizer (tokenizer.json) file in the folder.</summary>
    public string? Tokenizer { get; init; }

    /// <summary>The files of the folder: manifest, weights, recipe and the tokenizer of a text classifier.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> Files => Tokenizer is { } t ? [FileName, ClassifierExport.WeightsFileName, ClassifierExport.RecipeFileName, t] : [FileName, ClassifierExport.WeightsFileName, ClassifierExport.RecipeFileName];

    /// <summary>Whether inputs are text.</summary>
    [JsonIgnore]
    public bool IsText => Input == "text";

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Writes the manifest into <paramref name="folder"/>.</summary>
    public void Save(string folder) => File.WriteAllText(Path.Combine(folder, FileName), JsonSerializer.Serialize(this, Options) + "\n");

    /// <summary>Whether <paramref name="folder"/> holds an exported classifier.</summary>
    public static bool IsIn(string folder) => File.Exists(Path.Combine(folder, FileName));

    /// <summary>Reads the manifest of <paramref name="folder"/>, checking what the loader relies on.</summary>
    public static ClassifierManifest Load(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) throw new InvalidModelFileException(folder, $"not a classifier folder: {FileName} is missing");
        ClassifierManifest? manifest;
        try { manifest = JsonSerializer.Deserialize<ClassifierManifest>(File.ReadAllText(path), Options); }
        catch (JsonException e) { throw new InvalidModelFileException(path, "not a classifier manifest: " + e.Message, e); }
        if (manifest is null || manifest.Format != "moxing-classifier") throw new InvalidModelFileException(path, "expected \"format\": \"moxing-classifier\"");
        if (manifest.Input is not ("features" or "image" or "text")) throw new InvalidModelFileException(path, $"input must be features, image or text, got '{manifest.Input}'");
        if (manifest.Shape.Length == 0 || manifest.Shape.Any(d => d <= 0) || manifest.Shape.Aggregate(1L, (a, b) => a * b) > 1 << 24)
            throw new InvalidModelFileException(path, $"shape [{string.Join(", ", manifest.Shape)}] must be positive sizes");
        if (manifest.Labels.Length < 2) throw new InvalidModelFileException(path, "labels must name at least two classes");
        if (manifest.Scale == 0f) throw new InvalidModelFileException(path, "scale must not be 0");
        if (manifest.IsText && manifest.Tokenizer is null) throw new InvalidModelFileException(path, "a text classifier names its tokenizer file");
        return manifest;
    }
}
