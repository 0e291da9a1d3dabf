using Moxing.Core.Tensors;

namespace Moxing.Core.Formats.Safetensors;

/// <summary>The safetensors dtype names this build reads and writes, and their <see cref="DType"/>.</summary>
public static class SafetensorsDTypes
{
    private static readonly (string Name, DType Type)[] Table =
    [
        ("F64", DType.F64), ("F32", DType.F32), ("F16", DType.F16), ("BF16", DType.BF16),
        ("I64", DType.I64), ("I32", DType.I32), ("I16", DType.I16), ("I8", DType.I8),
        ("U8", DType.U8), ("BOOL", DType.Bool),
    ];

    /// <summary>The supported names, for error messages.</summary>
    public static string SupportedNames { get; } = string.Join(", ", Table.Select(t => t.Name));

    /// <summary>The <see cref="DType"/> of safetensors dtype <paramref name="name"/>; false when it is not supported.</summary>
    public static bool TryParse(string name, out DType type)
    {
        foreach (var (n, t) in Table)
        {
            if (n == name)
            {
                type = t;
                return true;
            }
        }
        type = default;
        return false;
    }

    /// <summary>The safetensors name of <paramref name="type"/>; throws when safetensors cannot store it (block-quantized types).</summary>
    public static string NameOf(DType type)
    {
        foreach (var (n, t) in Table)
            if (t == type) return n;
        throw new ArgumentException($"safetensors cannot store tensors of type {type}", nameof(type));
    }
}
