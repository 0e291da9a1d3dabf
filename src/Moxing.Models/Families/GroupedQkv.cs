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
    /// copied as stored; a bias's rows are its elements) as a tensor called <paramref name="name"/>; stored per group, or with
    /// <paramref name="grouped"/> false already in that order (Ling's query_key_value).
    /// </summary>
    public static unsafe DerivedTensor Rows(StoredTensor fused, string name, int first, int rowCount, int heads, int kvHeads, int headDim, string path,
        bool grouped = true)
    {
        var expected = (heads + 2L * kvHeads) * headDim;
        if (fused.Shape.Length is not (1 or 2) || fused.Shape[0] != expected)
            throw new InvalidModelFileException(path, $"tensor '{fused.Name}' has shape [{string.Join(", ", fused.Shape)}], expected [{expected}, n] or [{expected}] for {heads} query and {kvHeads} key/value heads of {headDim}");
        var rowBytes = fused.ByteLength / fused.Shape[0];
        long[] shape = fused.Shape.Length == 1 ? [rowCount] : [rowCount, fused.Shape[1]];
        return new DerivedTensor(name, fused.Type, shape, [fused.Name], target =>
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

    /// <summary>
    /// For every layer, the fused projection <paramref name="fusedPattern"/> and its bias where stored, each stored per key/value
    /// group (GPT-NeoX's and BLOOM's query_key_value: per head its query, key and value), as the same tensors in [q; k; v] order.
    /// </summary>
    public static IEnumerable<DerivedTensor> Regrouped(PrefixedTensors tensors, string fusedPattern, DecoderOptions options, string path)
    {
        int heads = options.HeadCount, kv = options.KvHeadCount, hd = options.HeadDim;
        for (var i = 0; i < options.LayerCount; i++)
        {
            var weight = DecoderTensorNames.ForLayer(fusedPattern, i);
            foreach (var name in new[] { weight, DecoderTensorNames.BiasOf(weight) })
                if (tensors.Find(name) is { } fused) yield return Rows(fused, name, 0, (heads + 2 * kv) * hd, heads, kv, hd, path);
        }
    }
}
