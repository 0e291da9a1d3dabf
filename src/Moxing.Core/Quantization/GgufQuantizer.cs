using System.Runtime.InteropServices;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Kernels;
using Moxing.Core.Quantization.Importance;
using Moxing.Core.Quantization.Mixes;
using Moxing.Core.Tensors;

namespace Moxing.Core.Quantization;

/// <summary>One tensor of a quantization plan: its name, stored type and shape, and the type it will be written as.</summary>
public sealed record PlannedTensor(string Name, DType From, long[] Shape, DType To);

/// <summary>
/// Quantizes a GGUF model to a llama.cpp file type as llama-quantize does: the same metadata (general.file_type and
/// general.quantization_version set, split keys dropped), tensor order, per-tensor types and bytes.
/// </summary>
public static class GgufQuantizer
{
    // Rows are dequantized and quantized in chunks of about this many values, so memory stays bounded for huge tensors.
    private const int ChunkValues = 1 << 24;

    /// <summary>The tensors of <paramref name="source"/> in llama-quantize's order with the type each gets under <paramref name="mix"/>.</summary>
    public static IReadOnlyList<PlannedTensor> Plan(GgufFile source, QuantizationMix mix, ImportanceMatrix? importance) =>
        Plan(new GgufQuantizationInput(source), mix, importance);

    /// <summary>The tensors of <paramref name="source"/> in llama-quantize's order with the type each gets under <paramref name="mix"/>.</summary>
    public static IReadOnlyList<PlannedTensor> Plan(IQuantizationInput source, QuantizationMix mix, ImportanceMatrix? importance)
    {
        var tensors = source.Tensors.ToList();
        tensors.Sort((a, b) => TensorTypePlanner.Order(a.Name, b.Name));
        var planner = new TensorTypePlanner(mix, FactsOf(source), importance != null, tensors.Select(t => t.Name));
        var plan = new List<PlannedTensor>(tensors.Count);
        foreach (var t in tensors)
        {
            var to = planner.TypeFor(t.Name, t.Type, t.Shape);
            if (t.KeepType) to = t.Type;
            if (to != t.Type && !Quantizer.CanQuantize(to))
                throw new MoxingException($"tensor '{t.Name}' would be {to}, which cannot be written");
            if (to != t.Type && !t.Type.IsSupported())
                throw new InvalidModelFileException(source.SourcePath, $"tensor '{t.Name}' is {t.Type}, which cannot be decoded to requantize it");
            plan.Add(new PlannedTensor(t.Name, t.Type, t.Shape, to));
        }
        return plan;
    }

    /// <summary>
    /// Writes <paramref name="source"/> quantized to <paramref name="mix"/> into <paramref name="output"/>;
    /// <paramref name="progress"/> hears (tensor index, tensor count, plan entry) before each tensor is encoded.
    /// </summary>
    public static void Quantize(GgufFile source, string output, QuantizationMix mix, ImportanceMatrix? importance, WorkerPool pool,
        Action<int, int, PlannedTensor>? progress = null, CancellationToken cancel = default) =>
        Quantize(new GgufQuantizationInput(source), output, mix, importance, pool, progress, cancel);

    /// <summary>
    /// Writes <paramref name="source"/> (a GGUF or a converted model) quantized to <paramref name="mix"/> into <paramref name="output"/>;
    /// <paramref name="progress"/> hears (tensor index, tensor count, plan entry) before each tensor is encoded.
    /// </summary>
    public static void Quantize(IQuantizationInput source, string output, QuantizationMix mix, ImportanceMatrix? importance, WorkerPool pool,
        Action<int, int, PlannedTensor>? progress = null, CancellationToken cancel = default)
    {
        if (mix.RequiresImportance && importance == null)
            throw new MoxingException($"{mix.Name} needs an importance matrix (--imatrix), as in llama-quantize");
        var plan = Plan(source, mix, importance);
        var w = new GgufWriter();
        foreach (var (key, value) in source.Metadata)
            if (key is not ("general.quantization_version" or "general.file_type") && !key.StartsWith("split.", StringComparison.Ordinal))
                w.Set(key, value);
        w.Set("general.quantization_version", 2u);
        w.Set("general.file_type", mix.FileTypeIdFor(plan.Select(p => p.To)));
        if (importance != null) DescribeImportance(w, importance);
        for (var i = 0; i < plan.Count; i++)
        {
            var entry = plan[i];
            var index = i;
            if (entry.To == entry.From)
            {
                w.AddTensor(entry.Name, entry.From, entry.Shape, s =>
                {
                    progress?.Invoke(index, plan.Count, entry);
                    source.Read(entry.Name, stored => CopyBytes(stored, s));
                });
                continue;
            }
            var weights = importance?.WeightsFor(entry.Name);
            if (weights != null && weights.Length != entry.Shape[^1])
                throw new MoxingException($"the importance matrix has {weights.Length} columns for '{entry.Name}', which has rows of {entry.Shape[^1]}");
            w.AddTensor(entry.Name, entry.To, entry.Shape, s =>
            {
                cancel.ThrowIfCancellationRequested();
                progress?.Invoke(index, plan.Count, entry);
                source.Read(entry.Name, stored => Encode(stored, entry.To, weights, pool, s));
            });
        }
        var temporary = output + ".partial";
        try
        {
            w.Write(temporary);
            File.Move(temporary, output, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    // The keys llama-quantize records about its --imatrix (strings cut to its 127-byte override buffer).
    private static void DescribeImportance(GgufWriter w, ImportanceMatrix importance)
    {
        w.Set("quantize.imatrix.file", Truncate(importance.SourcePath ?? ""));
        if (importance.Datasets.Count > 0) w.Set("quantize.imatrix.dataset", Truncate(importance.Datasets[0]));
        w.Set("quantize.imatrix.entries_count", (uint)importance.Count);
        if (importance.ChunkCount > 0) w.Set("quantize.imatrix.chunks_count", (uint)importance.ChunkCount);
    }

    private static string Truncate(string value)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(value);
        return bytes.Length <= 127 ? value : System.Text.Encoding.UTF8.GetString(bytes, 0, 127);
    }

    /// <summary>The facts the mixes depend on, from the GGUF's {arch}.* keys.</summary>
    public static ModelFacts FactsOf(IQuantizationInput source)
    {
        var m = source.Metadata;
        var arch = m.TryGetString("general.architecture", out var a) ? a : "";
        var layers = m.TryGetInt32($"{arch}.block_count", out var l) ? l : 0;
        var heads = m.TryGetInt32($"{arch}.attention.head_count", out var h) ? h : 0;
        // A hybrid model (LFM2) gives head_count_kv per layer, 0 on its recurrent layers: its attention layers' count is the one.
        var kvHeads = m.TryGetValue($"{arch}.attention.head_count_kv", out var kvValue) && kvValue is Array perLayer
            ? perLayer.Cast<object>().Select(Convert.ToInt32).DefaultIfEmpty(heads).Max()
            : m.TryGetInt32($"{arch}.attention.head_count_kv", out var kv) ? kv : heads;
        var experts = m.TryGetInt32($"{arch}.expert_count", out var e) ? e : 0;
        return new ModelFacts(arch, layers, heads, kvHeads, experts);
    }

    private static unsafe void CopyBytes(StoredTensor tensor, Stream s)
    {
        for (long done = 0; done < tensor.ByteLength;)
        {
            var chunk = (int)Math.Min(1 << 30, tensor.ByteLength - done);
            s.Write(new ReadOnlySpan<byte>(tensor.Data + done, chunk));
            done += chunk;
        }
    }

    private static unsafe void Encode(StoredTensor tensor, DType to, float[]? importance, WorkerPool pool, Stream s)
    {
        var rowLength = checked((int)tensor.Shape[^1]);
        var rows = tensor.ElementCount / rowLength;
        var rowsPerChunk = (int)Math.Clamp(ChunkValues / rowLength, 1, rows);
        var floats = new float[(long)rowsPerChunk * rowLength];
        var bytes = new byte[to.ByteCount(floats.Length)];
        var fromRow = tensor.Type.ByteCount(rowLength);
        for (long row = 0; row < rows; row += rowsPerChunk)
        {
            var count = (int)Math.Min(rowsPerChunk, rows - row);
            var values = floats.AsSpan(0, count * rowLength);
            var source = new ReadOnlySpan<byte>(tensor.Data + row * fromRow, checked((int)(count * fromRow)));
            if (tensor.Type == DType.F32) MemoryMarshal.Cast<byte, float>(source).CopyTo(values);
            else Dequantizer.Dequantize(tensor.Type, source, values);
            var encoded = bytes.AsSpan(0, checked((int)to.ByteCount(values.Length)));
            Quantizer.QuantizeRows(to, values, encoded, rowLength, importance, pool);
            s.Write(encoded);
        }
    }
}
