using Moxing.Core.Formats.Gguf;
using Moxing.Models;
using Moxing.Training.Export;

namespace Moxing.Server.Store;

/// <summary>What a stored model can do.</summary>
public enum ModelKind
{
    /// <summary>A decoder that generates text (chat, completions).</summary>
    Generation,
    /// <summary>An encoder that embeds text.</summary>
    Embedding,
    /// <summary>A classifier trained by `moxing train` (texts at /v1/classify, tensors at the Open Inference Protocol paths).</summary>
    Classification,
}

/// <summary>Facts about a stored model, read once when it is registered (for list, show and the Ollama /api/tags details).</summary>
public sealed record ModelDetails
{
    /// <summary>Architecture (HF model_type or GGUF general.architecture), e.g. "llama".</summary>
    public required string Architecture { get; init; }

    /// <summary>Total number of parameters.</summary>
    public required long ParameterCount { get; init; }

    /// <summary>Context length the model was trained for.</summary>
    public required int ContextLength { get; init; }

    /// <summary>The GGUF file type (Q4_K_M, Q8_0, F16…) or, without one, the type most weights are stored in.</summary>
    public required string Quantization { get; init; }

    /// <summary>Generation or embedding.</summary>
    public required ModelKind Kind { get; init; }

    /// <summary>Reads the details of a loaded model.</summary>
    public static ModelDetails From(LoadedModel model) => new()
    {
        Architecture = model.Architecture,
        ParameterCount = model.ParameterCount,
        ContextLength = model.MaxContext,
        Quantization = (model.Format == ModelFormat.Gguf ? GgufFileTypeName(model.Path) : null) ?? model.DominantWeightType?.ToString() ?? "unknown",
        Kind = model.Decoder != null ? ModelKind.Generation : ModelKind.Embedding,
    };

    /// <summary>Reads the details of a trained classifier.</summary>
    public static ModelDetails From(TrainedClassifier classifier) => new()
    {
        Architecture = classifier.Manifest.ModelType,
        ParameterCount = classifier.ParameterCount,
        ContextLength = classifier.Manifest.IsText ? classifier.Manifest.Shape[0] : 0,
        Quantization = "F32",
        Kind = ModelKind.Classification,
    };

    private static string? GgufFileTypeName(string path)
    {
        using var file = GgufFile.Open(path);
        return file.Metadata.TryGetInt32("general.file_type", out var id) && id >= 0 && id < FileTypeNames.Length && FileTypeNames[id].Length > 0
            ? FileTypeNames[id] : null;
    }

    // llama.cpp's llama_ftype values, by id (gaps are ids it retired).
    private static readonly string[] FileTypeNames =
    [
        "F32", "F16", "Q4_0", "Q4_1", "", "", "", "Q8_0", "Q5_0", "Q5_1", "Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K_S", "Q4_K_M",
        "Q5_K_S", "Q5_K_M", "Q6_K", "IQ2_XXS", "IQ2_XS", "Q2_K_S", "IQ3_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ3_M", "IQ2_S",
        "IQ2_M", "IQ4_XS", "IQ1_M", "BF16", "", "", "", "TQ1_0", "TQ2_0", "MXFP4_MOE",
    ];
}
