using System.Runtime.CompilerServices;
using Moxing.Core.Formats.Gguf;
using Moxing.Models;
using Moxing.Models.Encoder;

namespace Moxing.Server.Embeddings;

/// <summary>How a model's per-token hidden states become one vector.</summary>
public enum EmbeddingPooling
{
    /// <summary>The mean over all tokens (the default).</summary>
    Mean,
    /// <summary>The last token's state (Qwen3-Embedding, E5-Mistral and other causal embedders).</summary>
    LastToken,
    /// <summary>The first token's state.</summary>
    FirstToken,
}

/// <summary>Reads the pooling a model declares: GGUF <c>{arch}.pooling_type</c>, or sentence-transformers' <c>1_Pooling/config.json</c>.</summary>
public static class EmbeddingPoolings
{
    private static readonly ConditionalWeakTable<LoadedModel, StrongBox<EmbeddingPooling>> Cache = [];

    /// <summary>The pooling <paramref name="model"/> declares; mean when it declares none.</summary>
    public static EmbeddingPooling For(LoadedModel model) => Cache.GetValue(model, m => new StrongBox<EmbeddingPooling>(Read(m))).Value;

    private static readonly ConditionalWeakTable<LoadedModel, StrongBox<bool>> NormalizingCache = [];

    /// <summary>
    /// Whether <paramref name="model"/>'s own output is L2-normalised, as Ollama's runner gives it on the legacy /api/embeddings:
    /// GGUF <c>{arch}.normalize_embeddings</c> (absent: true for bert, false otherwise, Ollama's defaults), or a
    /// sentence-transformers Normalize module in modules.json.
    /// </summary>
    public static bool NormalizesItself(LoadedModel model) =>
        NormalizingCache.GetValue(model, m => new StrongBox<bool>(m.Format == ModelFormat.Gguf ? GgufNormalizes(m) : FolderNormalizes(m.Path))).Value;

    private static bool GgufNormalizes(LoadedModel model)
    {
        using var file = GgufFile.Open(model.Path);
        return file.Metadata.TryGetBool($"{model.Architecture}.normalize_embeddings", out var normalize) ? normalize : model.Architecture == "bert";
    }

    private static bool FolderNormalizes(string folder)
    {
        var path = Path.Combine(folder, "modules.json");
        if (!File.Exists(path)) return false;
        try
        {
            using var modules = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
            return modules.RootElement.ValueKind == System.Text.Json.JsonValueKind.Array && modules.RootElement.EnumerateArray().Any(m =>
                m.ValueKind == System.Text.Json.JsonValueKind.Object && m.TryGetProperty("type", out var t)
                && t.ValueKind == System.Text.Json.JsonValueKind.String && t.GetString()!.EndsWith(".Normalize", StringComparison.Ordinal));
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or IOException)
        {
            return false;
        }
    }

    /// <summary>One vector from an encoder's hidden states [n, <paramref name="hiddenSize"/>], pooled as <paramref name="pooling"/> says.</summary>
    public static float[] Pool(ReadOnlySpan<float> hidden, int hiddenSize, EmbeddingPooling pooling) => pooling switch
    {
        EmbeddingPooling.Mean => BertModel.MeanPooled(hidden, hiddenSize),
        EmbeddingPooling.FirstToken => hidden[..hiddenSize].ToArray(),
        _ => hidden[^hiddenSize..].ToArray(),
    };

    /// <summary><see cref="Pool"/>, then scaled to unit L2 norm.</summary>
    public static float[] PoolNormalized(ReadOnlySpan<float> hidden, int hiddenSize, EmbeddingPooling pooling)
    {
        var pooled = Pool(hidden, hiddenSize, pooling);
        Normalize(pooled);
        return pooled;
    }

    /// <summary>Scales <paramref name="vector"/> to unit L2 norm (a zero vector stays zero).</summary>
    public static void Normalize(Span<float> vector) =>
        System.Numerics.Tensors.TensorPrimitives.Divide(vector, Math.Max(System.Numerics.Tensors.TensorPrimitives.Norm(vector), 1e-12f), vector);

    private static EmbeddingPooling Read(LoadedModel model) => model.Format == ModelFormat.Gguf ? FromGguf(model.Path) : FromFolder(model.Path);

    // llama.cpp's enum: 0 none, 1 mean, 2 cls, 3 last, 4 rank.
    private static EmbeddingPooling FromGguf(string path)
    {
        using var file = GgufFile.Open(path);
        var metadata = file.Metadata;
        if (!metadata.TryGetString("general.architecture", out var arch) || !metadata.TryGetInt64($"{arch}.pooling_type", out var type))
            return EmbeddingPooling.Mean;
        // rank pooling reads its classifier head at the first token
        return type switch { 2 or 4 => EmbeddingPooling.FirstToken, 3 => EmbeddingPooling.LastToken, _ => EmbeddingPooling.Mean };
    }

    // sentence-transformers: modules.json (or the usual 1_Pooling folder) names the Pooling module; a missing or unreadable
    // pooling file means no declaration and never stops the model from embedding.
    private static EmbeddingPooling FromFolder(string folder)
    {
        if (!Directory.Exists(folder)) return EmbeddingPooling.Mean;
        try
        {
            return SentenceTransformersPooling.Read(folder, "1_Pooling") switch
            {
                2 => EmbeddingPooling.FirstToken,
                3 => EmbeddingPooling.LastToken,
                _ => EmbeddingPooling.Mean,
            };
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or Core.MoxingException or IOException)
        {
            return EmbeddingPooling.Mean;
        }
    }
}
