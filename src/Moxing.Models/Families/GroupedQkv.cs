using Moxing.Core;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Layers;

namespace Moxing.Models.Families;

/// <summary>
/// A fused query/key/value projection stored per key/value group — for each group its heads/kv-heads query heads, then its key
/// head, then its value head (Falcon-40B's query_key_value, InternLM2's wqkv) — and the rows the decoder reads instead: all
/// query heads, then all key heads, then all value heads, as convert_hf_to_gguf.py rearranges them.
/// </summary>
internal static class GroupedQkv
{
    /// <summary>The stored row of row <paramref name="row"/> of the [q; k; v] order.</summary>
    public static int SourceRow(int row, int heads, int kvHeads, int headDim)
    {
        int perGroup = heads / kvHeads, groupRows = (perGroup + 2) * headDim, qRows = heads * headDim, kvRows = kvHeads * headDim;
        if (row < qRows) return row / headDim / perGroup * groupRows + row % (perGroup * headDim);
        var kv = row < qRows + kvRows ? row - qRows : row - qRows - kvRows;
        var slot = row < qRows + kvRows ? perGroup : perGroup + 1;
        return kv / headDim * groupRows + slot * headDim + kv % headDim;
    }

    /// <summary>
    /// <paramref name="rowCount"/> rows from <paramref name="first"/> of the [q; k; v] order of <paramref name="fused"/> (each row
    /// copied as stored) as a tensor called <paramref name="name"/>; stored per group, or with <paramref name="grouped"/> false
    /// already in that order (Ling's query_key_value).
    /// </summary>
    public static unsafe DerivedTensor Rows(StoredTensor fused, string name, int first, int rowCount, int heads, int kvHeads, int headDim, string path,
        bool grouped = true)
    {
        var expected = (heads + 2L * kvHeads) * headDim;
        if (fused.Shape.Length != 2 || fused.Shape[0] != expected)
            throw new InvalidModelFileException(path, $"tensor '{fused.Name}' has shape [{string.Join(", ", fused.Shape)}], expected [{expected}, n] for {heads} query and {kvHeads} key/value heads of {headDim}");
        var rowBytes = fused.ByteLength / fused.Shape[0];
        return new DerivedTensor(name, fused.Type, [rowCount, fused.Shape[1]], [fused.Name], target =>
        {
            for (var r = 0; r < rowCount; r++)
                Buffer.MemoryCopy(fused.Data + (grouped ? SourceRow(first + r, heads, kvHeads, headDim) : first + r) * rowBytes, (byte*)target + r * rowBytes, rowBytes, rowBytes);
        });
    }

    /// <summary>
    /// For every layer whose fused projection (<paramref name="fusedPattern"/>, found in <paramref name="tensors"/>) is stored, its q, k
    /// and v rows as the tensors <paramref name="names"/>' Q, K and V name; grouped per key/value group or already [q; k; v].
    /// </summary>
    public static IEnumerable<DerivedTensor> Split(PrefixedTensors tensors, string fusedPattern, DecoderTensorNames names, DecoderOptions options,
        string path, bool grouped)
    {
        int heads = options.HeadCount, kv = options.KvHeadCount, hd = options.HeadDim;
        for (var i = 0; i < options.LayerCount; i++)
        {
            if (tensors.Find(DecoderTensorNames.ForLayer(fusedPattern, i)) is not { } fused) continue;
            yield return Rows(fused, DecoderTensorNames.ForLayer(names.Q!, i), 0, heads * hd, heads, kv, hd, path, grouped);
            yield return Rows(fused, DecoderTensorNames.ForLayer(names.K!, i), heads * hd, kv * hd, heads, kv, hd, path, grouped);
            yield return Rows(fused, DecoderTensorNames.ForLayer(names.V!, i), (heads + kv) * hd, kv * hd, heads, kv, hd, path, grouped);
        }
    }
}
