using System.Text;
using Moxing.Core.Formats.Gguf;

namespace Moxing.Core.Quantization.Importance;

/// <summary>
/// An importance matrix as llama-imatrix writes it: per weight matrix, the sum of squared input activations of each
/// column and how many tokens were summed. Reads and writes llama.cpp's GGUF format (<c>NAME.in_sum2</c>,
/// <c>NAME.counts</c>, <c>imatrix.*</c> keys) and its legacy <c>.dat</c> format, both as llama-quantize reads them.
/// </summary>
public sealed class ImportanceMatrix
{
    private readonly SortedDictionary<string, (float[] Sums, long Count)> _entries = new(StringComparer.Ordinal);

    /// <summary>The texts the statistics came from (imatrix.datasets).</summary>
    public List<string> Datasets { get; } = [];

    /// <summary>Chunks of text evaluated (imatrix.chunk_count).</summary>
    public int ChunkCount { get; set; }

    /// <summary>Tokens per chunk (imatrix.chunk_size).</summary>
    public int ChunkSize { get; set; }

    /// <summary>The file the matrix was loaded from, or null.</summary>
    public string? SourcePath { get; private set; }

    /// <summary>How many matrices have statistics.</summary>
    public int Count => _entries.Count;

    /// <summary>The matrix names with statistics (e.g. blk.0.attn_q.weight).</summary>
    public IEnumerable<string> Names => _entries.Keys;

    /// <summary>Adds the squares of <paramref name="activations"/> (rows of <paramref name="columns"/>, one per token) to <paramref name="name"/>'s sums.</summary>
    public void Accumulate(string name, ReadOnlySpan<float> activations, int columns)
    {
        if (columns <= 0 || activations.Length % columns != 0)
            throw new ArgumentException($"{activations.Length} activations are not rows of {columns}", nameof(activations));
        if (!_entries.TryGetValue(name, out var entry)) entry = (new float[columns], 0);
        else if (entry.Sums.Length != columns)
            throw new ArgumentException($"'{name}' has {entry.Sums.Length} columns, not {columns}", nameof(columns));
        var sums = entry.Sums;
        for (var row = 0; row < activations.Length; row += columns)
            for (var j = 0; j < columns; j++)
            {
                var x = activations[row + j];
                sums[j] += x * x;
            }
        _entries[name] = (sums, entry.Count + activations.Length / columns);
    }

    /// <summary>The per-column weights llama-quantize uses for <paramref name="name"/> (mean squared activation), or null.</summary>
    public float[]? WeightsFor(string name)
    {
        if (!_entries.TryGetValue(name, out var entry)) return null;
        var weights = new float[entry.Sums.Length];
        float count = entry.Count;
        for (var j = 0; j < weights.Length; j++) weights[j] = count > 0 ? entry.Sums[j] / count : 1;
        return weights;
    }

    /// <summary>Reads a GGUF imatrix or, when the file is not GGUF, the legacy format.</summary>
    public static ImportanceMatrix Load(string path)
    {
        var matrix = GgufFile.HasMagic(path) ? LoadGguf(path) : LoadLegacy(path);
        matrix.SourcePath = path;
        return matrix;
    }

    /// <summary>Writes the GGUF format when <paramref name="path"/> ends in .gguf, else the legacy .dat format.</summary>
    public void Save(string path)
    {
        if (path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)) SaveGguf(path);
        else SaveLegacy(path);
    }

    private void SaveGguf(string path)
    {
        var w = new GgufWriter();
        w.Set("general.type", "imatrix");
        w.Set("imatrix.datasets", Datasets.ToArray());
        w.Set("imatrix.chunk_count", (uint)ChunkCount);
        w.Set("imatrix.chunk_size", (uint)ChunkSize);
        foreach (var (name, (sums, count)) in _entries)
        {
            w.AddF32(name + ".in_sum2", [1, sums.Length], sums);
            w.AddF32(name + ".counts", [1, 1], new[] { (float)count });
        }
        w.Write(path);
    }

    // Legacy entries hold the mean times ncall; with ncall = 1 they hold the mean itself.
    private void SaveLegacy(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        using var w = new BinaryWriter(stream, Encoding.UTF8);
        w.Write(_entries.Count);
        foreach (var name in _entries.Keys)
        {
            var bytes = Encoding.UTF8.GetBytes(name);
            w.Write(bytes.Length);
            w.Write(bytes);
            var weights = WeightsFor(name)!;
            w.Write(1);
            w.Write(weights.Length);
            foreach (var v in weights) w.Write(v);
        }
        w.Write(ChunkCount);
        var dataset = Encoding.UTF8.GetBytes(Datasets.Count > 0 ? Datasets[0] : "");
        w.Write(dataset.Length);
        w.Write(dataset);
    }

    private static ImportanceMatrix LoadGguf(string path)
    {
        using var file = GgufFile.Open(path);
        var m = new ImportanceMatrix();
        if (!file.Metadata.TryGetArray<string>("imatrix.datasets", out var datasets) || !file.Metadata.TryGetInt32("imatrix.chunk_count", out var chunks)
            || !file.Metadata.TryGetInt32("imatrix.chunk_size", out var chunkSize))
            throw new InvalidModelFileException(path, "is not an imatrix: it lacks imatrix.datasets, imatrix.chunk_count or imatrix.chunk_size");
        m.Datasets.AddRange(datasets);
        m.ChunkCount = chunks;
        m.ChunkSize = chunkSize;
        foreach (var sums in file.Tensors)
        {
            if (!sums.Name.EndsWith(".in_sum2", StringComparison.Ordinal)) continue;
            var name = sums.Name[..^".in_sum2".Length];
            var counts = file.Find(name + ".counts")
                ?? throw new InvalidModelFileException(path, $"'{sums.Name}' has no matching '{name}.counts'");
            if (sums.Type != Tensors.DType.F32 || counts.Type != Tensors.DType.F32)
                throw new InvalidModelFileException(path, $"'{name}': sums and counts must be F32");
            if (counts.ByteLength != 4)
                throw new InvalidModelFileException(path, $"'{name}' has {counts.ByteLength / 4} counts; per-expert statistics (MoE) are not supported");
            var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(sums.Bytes).ToArray();
            var count = BitConverter.ToSingle(counts.Bytes);
            m._entries[name] = (values, (long)Math.Round(count));
        }
        if (m._entries.Count == 0) throw new InvalidModelFileException(path, "holds no NAME.in_sum2 tensors");
        return m;
    }

    private static ImportanceMatrix LoadLegacy(string path)
    {
        var m = new ImportanceMatrix();
        using var stream = File.OpenRead(path);
        using var r = new BinaryReader(stream, Encoding.UTF8);
        try
        {
            var n = r.ReadInt32();
            if (n < 1) throw new InvalidModelFileException(path, $"holds {n} entries; expected a legacy imatrix with at least one");
            for (var i = 0; i < n; i++)
            {
                var length = r.ReadInt32();
                if (length < 1 || length > 4096) throw new InvalidModelFileException(path, $"entry {i}: name length {length}, expected 1..4096");
                var name = Encoding.UTF8.GetString(r.ReadBytes(length));
                var calls = r.ReadInt32();
                var values = r.ReadInt32();
                if (values < 1 || (long)values * 4 > stream.Length - stream.Position)
                    throw new InvalidModelFileException(path, $"entry '{name}': {values} values do not fit in the file");
                var sums = new float[values];
                for (var j = 0; j < values; j++) sums[j] = r.ReadSingle();
                // Legacy values are the mean times ncall: keep them as sums over ncall "tokens".
                m._entries[name] = (sums, calls > 0 ? calls : 1);
            }
            if (stream.Position + 8 <= stream.Length)
            {
                m.ChunkCount = r.ReadInt32();
                var length = r.ReadInt32();
                if (length > 0 && length <= stream.Length - stream.Position) m.Datasets.Add(Encoding.UTF8.GetString(r.ReadBytes(length)));
            }
        }
        catch (EndOfStreamException)
        {
            throw new InvalidModelFileException(path, "ends inside an entry (truncated legacy imatrix?)");
        }
        return m;
    }
}
