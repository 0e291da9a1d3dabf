using Moxing.Core;
using Moxing.Core.Quantization;
using Moxing.Core.Tensors;

namespace Moxing.Models.Layers;

/// <summary>Reads small tensors (norm weights, biases) into float32 arrays at load time.</summary>
public static class SmallTensors
{
    /// <summary>The <paramref name="size"/> values of <paramref name="t"/> as floats, or an error naming the file and tensor.</summary>
    public static float[] ToFloats(this StoredTensor t, int size, string path)
    {
        if (t.ElementCount != size)
            throw new InvalidModelFileException(path, $"tensor '{t.Name}' has {t.ElementCount} values, expected {size}");
        var v = new float[size];
        Dequantizer.Dequantize(t.Type, t.Bytes, v);
        return v;
    }
}
