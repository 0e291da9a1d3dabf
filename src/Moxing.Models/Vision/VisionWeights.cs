using Moxing.Core;
using Moxing.Core.Ops;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Layers;

namespace Moxing.Models.Vision;

/// <summary>Reads a vision tower's tensors from <paramref name="source"/>, naming <paramref name="path"/> and the tensor in every error.</summary>
internal sealed class VisionWeights(ITensorSource source, string path, TensorArena arena)
{
    /// <summary>The tensor, or null when the file has none of that name.</summary>
    public StoredTensor? Find(string? name) => name == null ? null : source.Find(name);

    /// <summary>The tensor, which must be there.</summary>
    public StoredTensor Tensor(string name) => source.Find(name) ?? throw new InvalidModelFileException(path, $"vision tensor '{name}' is missing");

    /// <summary>The first <paramref name="size"/> values of a tensor as floats.</summary>
    public float[] Vector(string name, int size) => Tensor(name).ToFloats(size, path);

    /// <summary>The tensor, checked to have <paramref name="shape"/>.</summary>
    public StoredTensor Shaped(string name, params long[] shape)
    {
        var t = Tensor(name);
        if (!t.Shape.SequenceEqual(shape))
            throw new InvalidModelFileException(path, $"vision tensor '{t.Name}' has shape [{string.Join(", ", t.Shape)}], expected [{string.Join(", ", shape)}]");
        return t;
    }

    /// <summary>The [rows, cols] matrix <paramref name="name"/>.weight with its .bias (or none).</summary>
    public Linear Dense(string name, int rows, int cols, bool bias = true) =>
        new(Shaped(name + ".weight", rows, cols), bias ? Vector(name + ".bias", rows) : null);

    /// <summary>The norm <paramref name="name"/>.weight (and a LayerNorm's .bias) over <paramref name="width"/> values.</summary>
    public Norm Norm(string name, NormKind kind, int width, float eps) =>
        new(kind, Vector(name + ".weight", width), kind == NormKind.Layer ? Vector(name + ".bias", width) : null, eps);

    /// <summary>Part <paramref name="part"/> of <paramref name="parts"/> equal blocks of rows of the matrix <paramref name="name"/>.weight, with its .bias.</summary>
    public unsafe Linear DenseRows(string name, int part, int parts, int rows, int cols)
    {
        var t = Shaped(name + ".weight", (long)parts * rows, cols);
        var slice = new StoredTensor($"{t.Name}[{part}]", t.Type, [rows, cols], t.Data + part * rows * t.RowBytes, rows * t.RowBytes);
        return new Linear(slice, Vector(name + ".bias", parts * rows)[(part * rows)..((part + 1) * rows)]);
    }

    /// <summary>A [in, out] matrix as stored (multiplied on the right) as the [out, in] float32 matrix a <see cref="Linear"/> takes.</summary>
    public unsafe StoredTensor Transposed(StoredTensor t)
    {
        int rows = (int)t.Shape[0], cols = (int)t.Shape[1];
        var values = t.ToFloats(rows * cols, path);
        var result = arena.AllocateF32(t.Name, cols, rows);
        var target = new Span<float>(result.Data, rows * cols);
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < cols; c++) target[c * rows + r] = values[r * cols + c];
        return result;
    }
}
