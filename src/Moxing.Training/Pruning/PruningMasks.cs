using Moxing.Core;
using Moxing.Core.Formats.Safetensors;
using Moxing.Core.Tensors;
using Moxing.Nn.Modules;

namespace Moxing.Training.Pruning;

/// <summary>
/// Which weights of a pruned model stay (1) and which are fixed at zero (0), by parameter name. Saved as
/// masks.safetensors (U8) in a pruned run folder; training re-applies them after every optimizer step so
/// fine-tuning keeps the zeros.
/// </summary>
public sealed class PruningMasks
{
    /// <summary>The file name in a run folder.</summary>
    public const string FileName = "masks.safetensors";

    private readonly Dictionary<string, (int[] Shape, byte[] Keep)> _masks = new(StringComparer.Ordinal);

    /// <summary>Parameter names with a mask, in the order added.</summary>
    public IEnumerable<string> Names => _masks.Keys;

    /// <summary>Number of masked tensors.</summary>
    public int Count => _masks.Count;

    /// <summary>The keep-mask of <paramref name="name"/>, or null.</summary>
    public byte[]? Find(string name) => _masks.TryGetValue(name, out var m) ? m.Keep : null;

    /// <summary>Adds (or replaces) the mask of <paramref name="name"/>.</summary>
    public void Add(string name, int[] shape, byte[] keep)
    {
        if (Shapes(shape) != keep.Length) throw new ArgumentException($"mask of {name} has {keep.Length} entries for shape [{string.Join(", ", shape)}]");
        _masks[name] = (shape, keep);
    }

    /// <summary>Keeps only weights both mask sets keep (iterative pruning of an already pruned model).</summary>
    public void IntersectWith(PruningMasks other)
    {
        foreach (var (name, (_, keep)) in _masks)
            if (other.Find(name) is { } theirs && theirs.Length == keep.Length)
                for (var i = 0; i < keep.Length; i++) keep[i] &= theirs[i];
    }

    /// <summary>Zeroes the pruned weights of <paramref name="model"/>; every mask must name a parameter of the same size.</summary>
    public void Apply(Module model)
    {
        var found = 0;
        foreach (var (name, p) in model.NamedParameters())
        {
            if (!_masks.TryGetValue(name, out var m)) continue;
            if (m.Keep.Length != p.Count) throw new MoxingException($"the mask of {name} has {m.Keep.Length} entries, the parameter {p.Count}");
            Apply(p.Data, m.Keep);
            found++;
        }
        if (found != _masks.Count) throw new MoxingException($"{_masks.Count - found} pruning mask(s) name no parameter of the model");
    }

    /// <summary>Zeroes the values whose mask entry is 0.</summary>
    public static void Apply(Span<float> values, ReadOnlySpan<byte> keep)
    {
        for (var i = 0; i < values.Length; i++)
            if (keep[i] == 0) values[i] = 0f;
    }

    /// <summary>Writes the masks as U8 tensors.</summary>
    public void Save(string path)
    {
        var writer = new SafetensorsWriter();
        foreach (var (name, (shape, keep)) in _masks) writer.Add(name, DType.U8, Array.ConvertAll(shape, d => (long)d), keep);
        writer.Write(path);
    }

    /// <summary>Reads masks written by <see cref="Save"/>.</summary>
    public static PruningMasks Load(string path)
    {
        using var file = SafetensorsFile.Open(path);
        var masks = new PruningMasks();
        foreach (var t in file.Tensors)
        {
            if (t.Type != DType.U8) throw new InvalidModelFileException(path, $"mask {t.Name} is {t.Type}, expected U8");
            masks.Add(t.Name, Array.ConvertAll(t.Shape, d => (int)d), t.Bytes.ToArray());
        }
        return masks;
    }

    /// <summary>Reads the masks of a run folder, or null when it has none.</summary>
    public static PruningMasks? LoadFrom(string folder)
    {
        var path = System.IO.Path.Combine(folder, FileName);
        return File.Exists(path) ? Load(path) : null;
    }

    private static long Shapes(int[] shape)
    {
        long n = 1;
        foreach (var d in shape) n *= d;
        return n;
    }
}
