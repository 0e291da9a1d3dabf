using System.Collections;

namespace Moxing.Text.Tokenization.Gguf;

/// <summary>
/// Typed access to GGUF metadata as a GGUF reader hands it over (strings, any integer or float type, bools,
/// typed arrays or lists), with errors that name the source and the key.
/// </summary>
internal sealed class GgufMetadataReader(IReadOnlyDictionary<string, object> metadata, string source)
{
    /// <summary>The file or name the metadata came from.</summary>
    public string Source { get; } = source;

    /// <summary>An error about a key.</summary>
    public TokenizerException Error(string key, string problem) => new($"{Source}: GGUF key '{key}': {problem}");

    /// <summary>A required string.</summary>
    public string String(string key) => OptionalString(key) ?? throw Error(key, "is missing");

    /// <summary>An optional string.</summary>
    public string? OptionalString(string key) => Get(key) switch
    {
        null => null,
        string s => s,
        object other => throw Error(key, $"expected a string, found {other.GetType().Name}"),
    };

    /// <summary>An optional boolean.</summary>
    public bool? OptionalBool(string key) => Get(key) switch
    {
        null => null,
        bool b => b,
        object other when IsInteger(other) => ToLong(other) != 0,
        object other => throw Error(key, $"expected a bool, found {other.GetType().Name}"),
    };

    /// <summary>An optional integer.</summary>
    public long? OptionalInteger(string key) => Get(key) switch
    {
        null => null,
        object value when IsInteger(value) => ToLong(value),
        object other => throw Error(key, $"expected an integer, found {other.GetType().Name}"),
    };

    /// <summary>An optional token id, which must lie inside the vocabulary.</summary>
    public int? OptionalTokenId(string key, int vocabularySize)
    {
        object? value = Get(key);
        if (value is null) return null;
        if (!IsInteger(value)) throw Error(key, $"expected an integer, found {value.GetType().Name}");
        long id = ToLong(value);
        if (id < 0 || id >= vocabularySize) throw Error(key, $"token id {id} is outside the vocabulary of {vocabularySize} tokens");
        return (int)id;
    }

    /// <summary>A required array of strings.</summary>
    public string[] Strings(string key) => OptionalStrings(key) ?? throw Error(key, "is missing");

    /// <summary>An optional array of strings.</summary>
    public string[]? OptionalStrings(string key)
    {
        object? value = Get(key);
        switch (value)
        {
            case null:
                return null;
            case string[] strings:
                return strings;
            case IEnumerable items and not string:
                var list = new List<string>();
                foreach (object? item in items)
                {
                    list.Add(item as string ?? throw Error(key, $"expected an array of strings, found an item of type {item?.GetType().Name ?? "null"}"));
                }
                return [.. list];
            default:
                throw Error(key, $"expected an array of strings, found {value.GetType().Name}");
        }
    }

    /// <summary>An optional array of integers.</summary>
    public int[]? OptionalInts(string key)
    {
        object? value = Get(key);
        if (value is null) return null;
        if (value is int[] ints) return ints;
        if (value is not IEnumerable items || value is string) throw Error(key, $"expected an array of integers, found {value.GetType().Name}");
        var list = new List<int>();
        foreach (object? item in items)
        {
            if (item is null || !IsInteger(item)) throw Error(key, $"expected an array of integers, found an item of type {item?.GetType().Name ?? "null"}");
            long number = ToLong(item);
            if (number is < int.MinValue or > int.MaxValue) throw Error(key, $"value {number} does not fit in 32 bits");
            list.Add((int)number);
        }
        return [.. list];
    }

    /// <summary>An optional array of numbers.</summary>
    public float[]? OptionalFloats(string key)
    {
        object? value = Get(key);
        if (value is null) return null;
        if (value is float[] floats) return floats;
        if (value is not IEnumerable items || value is string) throw Error(key, $"expected an array of numbers, found {value.GetType().Name}");
        var list = new List<float>();
        foreach (object? item in items)
        {
            if (item is null || !(IsInteger(item) || item is float or double)) throw Error(key, $"expected an array of numbers, found an item of type {item?.GetType().Name ?? "null"}");
            list.Add(Convert.ToSingle(item));
        }
        return [.. list];
    }

    /// <summary>An optional array of bytes (int8 or uint8 arrays).</summary>
    public byte[]? OptionalBytes(string key) => Get(key) switch
    {
        null => null,
        byte[] bytes => bytes,
        sbyte[] signed => [.. signed.Select(b => unchecked((byte)b))],
        object other => throw Error(key, $"expected an array of bytes, found {other.GetType().Name}"),
    };

    private object? Get(string key) => metadata.TryGetValue(key, out object? value) ? value : null;

    private static long ToLong(object value) => value is ulong u ? (long)Math.Min(u, long.MaxValue) : Convert.ToInt64(value);

    private static bool IsInteger(object value) => value is sbyte or byte or short or ushort or int or uint or long or ulong;
}
