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

    /// <summary>The LayerNorm <paramref name="name"/>.weight / .bias over <paramref name="width"/> values.</summary>
    public Norm LayerNorm(string name, int width, float eps) => new(NormKind.Layer, Vector(name + ".weight", width), Vector(name + ".bias", width), eps);

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
