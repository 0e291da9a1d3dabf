using Moxing.Core.Tensors;

namespace Moxing.Cli.Benchmarks;

/// <summary>What a benchmark table says about the model: file size, parameters, tensor types, and weight bytes read per token.</summary>
internal sealed record ModelFacts(string Name, long SizeBytes, long Parameters, string Types, long BytesPerToken)
{
    private static readonly string[] EmbeddingNames = ["token_embd.weight", "model.embed_tokens.weight"];
    private static readonly string[] OutputNames = ["output.weight", "lm_head.weight"];

    public static ModelFacts Of(string path, IReadOnlyList<StoredTensor> tensors)
    {
        long size = 0, parameters = 0;
        var byType = new Dictionary<DType, long>();
        StoredTensor? embedding = null;
        var hasOutput = false;
        foreach (var t in tensors)
        {
            size += t.ByteLength;
            parameters += t.ElementCount;
            byType[t.Type] = byType.GetValueOrDefault(t.Type) + t.ElementCount;
            if (Array.IndexOf(EmbeddingNames, t.Name) >= 0) embedding = t;
            if (Array.IndexOf(OutputNames, t.Name) >= 0) hasOutput = true;
        }
        // A decoded token reads every weight once, except an untied embedding table, of which it reads one row.
        var perToken = embedding != null && hasOutput ? size - embedding.ByteLength + embedding.RowBytes : size;
        var types = byType.OrderByDescending(p => p.Value).Take(3).Select(p => p.Key.ToString());
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(path));
        return new ModelFacts(name, size, parameters, string.Join('+', types), perToken);
    }
}
