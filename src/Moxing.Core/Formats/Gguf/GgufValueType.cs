namespace Moxing.Core.Formats.Gguf;

/// <summary>Type tags of GGUF metadata values, as stored in the file.</summary>
#pragma warning disable CS1591 // the members are GGUF's own type names
public enum GgufValueType : uint
{
    UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7,
    String = 8, Array = 9, UInt64 = 10, Int64 = 11, Float64 = 12,
}
#pragma warning restore CS1591

/// <summary>Maps GGUF value types to the .NET values that represent them (byte, int, string, float[], object[] of arrays, …).</summary>
public static class GgufValueTypes
{
    /// <summary>The GGUF type of a scalar .NET value, or null when GGUF has no such type.</summary>
    public static GgufValueType? ScalarTypeOf(object value) => value switch
    {
        byte => GgufValueType.UInt8,
        sbyte => GgufValueType.Int8,
        ushort => GgufValueType.UInt16,
        short => GgufValueType.Int16,
        uint => GgufValueType.UInt32,
        int => GgufValueType.Int32,
        float => GgufValueType.Float32,
        bool => GgufValueType.Bool,
        string => GgufValueType.String,
        ulong => GgufValueType.UInt64,
        long => GgufValueType.Int64,
        double => GgufValueType.Float64,
        _ => null,
    };

    /// <summary>The GGUF element type of a .NET array (object[] holds nested arrays), or null when GGUF has no such array.</summary>
    public static GgufValueType? ElementTypeOf(Array array)
    {
        // Compare exact types: the runtime lets an int[] pass as uint[] and a string[] as object[].
        var t = array.GetType();
        if (t == typeof(byte[])) return GgufValueType.UInt8;
        if (t == typeof(sbyte[])) return GgufValueType.Int8;
        if (t == typeof(ushort[])) return GgufValueType.UInt16;
        if (t == typeof(short[])) return GgufValueType.Int16;
        if (t == typeof(uint[])) return GgufValueType.UInt32;
        if (t == typeof(int[])) return GgufValueType.Int32;
        if (t == typeof(float[])) return GgufValueType.Float32;
        if (t == typeof(bool[])) return GgufValueType.Bool;
        if (t == typeof(string[])) return GgufValueType.String;
        if (t == typeof(ulong[])) return GgufValueType.UInt64;
        if (t == typeof(long[])) return GgufValueType.Int64;
        if (t == typeof(double[])) return GgufValueType.Float64;
        if (t == typeof(object[])) return GgufValueType.Array;
        return null;
    }

    /// <summary>The GGUF name of a type ("uint32", "string", …).</summary>
    public static string Name(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 => "uint8",
        GgufValueType.Int8 => "int8",
        GgufValueType.UInt16 => "uint16",
        GgufValueType.Int16 => "int16",
        GgufValueType.UInt32 => "uint32",
        GgufValueType.Int32 => "int32",
        GgufValueType.Float32 => "float32",
        GgufValueType.Bool => "bool",
        GgufValueType.String => "string",
        GgufValueType.Array => "array",
        GgufValueType.UInt64 => "uint64",
        GgufValueType.Int64 => "int64",
        GgufValueType.Float64 => "float64",
        _ => $"type {(uint)type}",
    };

    /// <summary>Describes a metadata value's type for error messages ("uint32", "array of string").</summary>
    public static string Describe(object value)
    {
        if (ScalarTypeOf(value) is { } scalar) return Name(scalar);
        if (value is Array array && ElementTypeOf(array) is { } element)
            return element == GgufValueType.Array ? "array of arrays" : "array of " + Name(element);
        return value.GetType().Name;
    }

    /// <summary>Fewest bytes one value of <paramref name="type"/> takes in a file (a string's or array's length prefix).</summary>
    internal static int MinBytes(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 or GgufValueType.String => 8,
        GgufValueType.Array => 12,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a GGUF value type"),
    };
}
