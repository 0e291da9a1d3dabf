using Moxing.Core.IO;

namespace Moxing.Core.Formats.Gguf;

/// <summary>Reads the key/value section of a GGUF file into .NET values, bounding every count by the bytes left.</summary>
internal static class GgufMetadataReader
{
    /// <summary>Deepest nesting of arrays accepted (real files use none; the bound keeps the stack safe).</summary>
    internal const int MaxArrayDepth = 16;

    public static GgufMetadata Read(BinaryCursor cursor, int count)
    {
        var values = new Dictionary<string, object>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            cursor.Context = $"metadata entry #{i}";
            var key = ReadString(cursor);
            cursor.Context = $"metadata key '{key}'";
            var value = ReadValue(cursor, ReadType(cursor), 0);
            if (!values.TryAdd(key, value)) throw cursor.Error($"metadata key '{key}' appears twice");
        }
        return new GgufMetadata(cursor.File.FilePath, values);
    }

    private static string ReadString(BinaryCursor cursor) => cursor.ReadUtf8((long)Math.Min(cursor.ReadU64(), long.MaxValue));

    private static GgufValueType ReadType(BinaryCursor cursor)
    {
        var tag = cursor.ReadU32();
        if (tag > (uint)GgufValueType.Float64) throw cursor.Error($"unknown value type {tag}");
        return (GgufValueType)tag;
    }

    private static object ReadValue(BinaryCursor cursor, GgufValueType type, int depth) => type switch
    {
        GgufValueType.UInt8 => cursor.ReadU8(),
        GgufValueType.Int8 => cursor.ReadI8(),
        GgufValueType.UInt16 => cursor.ReadU16(),
        GgufValueType.Int16 => cursor.ReadI16(),
        GgufValueType.UInt32 => cursor.ReadU32(),
        GgufValueType.Int32 => cursor.ReadI32(),
        GgufValueType.Float32 => cursor.ReadF32(),
        GgufValueType.Bool => cursor.ReadU8() != 0,
        GgufValueType.String => ReadString(cursor),
        GgufValueType.UInt64 => cursor.ReadU64(),
        GgufValueType.Int64 => cursor.ReadI64(),
        GgufValueType.Float64 => cursor.ReadF64(),
        GgufValueType.Array => ReadArray(cursor, depth + 1),
        _ => throw cursor.Error($"unknown value type {(uint)type}"),
    };

    private static Array ReadArray(BinaryCursor cursor, int depth)
    {
        if (depth > MaxArrayDepth) throw cursor.Error($"arrays are nested more than {MaxArrayDepth} deep");
        var elementType = ReadType(cursor);
        var count = cursor.ReadCount("the array length", GgufValueTypes.MinBytes(elementType));
        switch (elementType)
        {
            case GgufValueType.UInt8: return cursor.ReadArray<byte>(count);
            case GgufValueType.Int8: return cursor.ReadArray<sbyte>(count);
            case GgufValueType.UInt16: return cursor.ReadArray<ushort>(count);
            case GgufValueType.Int16: return cursor.ReadArray<short>(count);
            case GgufValueType.UInt32: return cursor.ReadArray<uint>(count);
            case GgufValueType.Int32: return cursor.ReadArray<int>(count);
            case GgufValueType.Float32: return cursor.ReadArray<float>(count);
            case GgufValueType.UInt64: return cursor.ReadArray<ulong>(count);
            case GgufValueType.Int64: return cursor.ReadArray<long>(count);
            case GgufValueType.Float64: return cursor.ReadArray<double>(count);
            case GgufValueType.Bool:
                var bytes = cursor.ReadArray<byte>(count);
                var bools = new bool[count];
                for (var i = 0; i < count; i++) bools[i] = bytes[i] != 0;
                return bools;
            case GgufValueType.String:
                var strings = new string[count];
                for (var i = 0; i < count; i++) strings[i] = ReadString(cursor);
                return strings;
            default:
                var arrays = new object[count];
                for (var i = 0; i < count; i++) arrays[i] = ReadArray(cursor, depth + 1);
                return arrays;
        }
    }
}
