using Moxing.Core.Formats.Gguf;
using Moxing.Core.Quantization;
using Moxing.Core.Tensors;

namespace Moxing.Models.Tests.Encoder;

/// <summary>Copies of a GGUF with one tensor dropped, one key replaced, some tensors rescaled (written as F32) or given another shape of the same size: broken and sharpened test files.</summary>
internal static class GgufCopy
{
    /// <summary>Writes the copy of <paramref name="source"/> to <paramref name="destination"/>.</summary>
    public static string Write(string source, string destination, string? drop = null, (string Key, object Value)? set = null,
        Func<string, float?>? scale = null, Func<string, long[]?>? reshape = null)
    {
        var w = new GgufWriter();
        using (var file = GgufFile.Open(source))
        {
            foreach (var (key, value) in file.Metadata) w.Set(key, set is { } s && s.Key == key ? s.Value : value);
            foreach (var t in file.Tensors)
            {
                if (t.Name == drop) continue;
                var shape = reshape?.Invoke(t.Name) ?? t.Shape;
                if (scale?.Invoke(t.Name) is { } factor) w.AddF32(t.Name, shape, Scaled(t, factor));
                else w.AddTensor(t.Name, t.Type, shape, t.Bytes.ToArray());
            }
        }
        w.Write(destination);
        return destination;
    }

    private static float[] Scaled(StoredTensor t, float factor)
    {
        var values = new float[t.ElementCount];
        Dequantizer.Dequantize(t.Type, t.Bytes, values);
        for (var i = 0; i < values.Length; i++) values[i] *= factor;
        return values;
    }
}
