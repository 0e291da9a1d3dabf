using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Moxing.Core.Formats.Gguf;

/// <summary>The key/value metadata of a GGUF file: .NET primitives, typed arrays, or object[] of arrays; typed getters name the key on error.</summary>
/// <remarks>Get… throws when the key is missing or of another type; TryGet… returns false when missing and throws when the type is wrong.</remarks>
public sealed class GgufMetadata(string filePath, Dictionary<string, object> values) : IReadOnlyDictionary<string, object>
{
    private delegate bool Conversion<T>(object raw, out T value);

    /// <summary>The file the metadata came from (named in errors).</summary>
    public string FilePath { get; } = filePath;

    /// <summary>A string value.</summary>
    public string GetString(string key) => Get<string>(key, AsString, "a string");

    /// <summary>A string value, if present.</summary>
    public bool TryGetString(string key, [NotNullWhen(true)] out string? value) => TryGet(key, AsString, "a string", out value);

    /// <summary>An integer of any GGUF integer type, as long.</summary>
    public long GetInt64(string key) => Get<long>(key, AsInt64, "an integer");

    /// <summary>An integer of any GGUF integer type, as long, if present.</summary>
    public bool TryGetInt64(string key, out long value) => TryGet(key, AsInt64, "an integer", out value);

    /// <summary>An integer of any GGUF integer type that fits in int.</summary>
    public int GetInt32(string key) => Get<int>(key, AsInt32, "an integer that fits in 32 bits");

    /// <summary>An integer that fits in int, if present.</summary>
    public bool TryGetInt32(string key, out int value) => TryGet(key, AsInt32, "an integer that fits in 32 bits", out value);

    /// <summary>A float32 or float64 value (or an integer), as float.</summary>
    public float GetSingle(string key) => Get<float>(key, AsSingle, "a number");

    /// <summary>A number as float, if present.</summary>
    public bool TryGetSingle(string key, out float value) => TryGet(key, AsSingle, "a number", out value);

    /// <summary>A bool value.</summary>
    public bool GetBool(string key) => Get<bool>(key, AsBool, "a bool");

    /// <summary>A bool value, if present.</summary>
    public bool TryGetBool(string key, out bool value) => TryGet(key, AsBool, "a bool", out value);

    /// <summary>An array whose elements are exactly <typeparamref name="T"/> (string[], float[], int[], …; object[] for arrays of arrays).</summary>
    public T[] GetArray<T>(string key) => Get<T[]>(key, AsArray, ArrayName<T>());

    /// <summary>An array of <typeparamref name="T"/>, if present.</summary>
    public bool TryGetArray<T>(string key, [NotNullWhen(true)] out T[]? value) => TryGet(key, AsArray, ArrayName<T>(), out value);

    private T Get<T>(string key, Conversion<T> convert, string expected) =>
        TryGet(key, convert, expected, out var value)
            ? value
            : throw new InvalidModelFileException(FilePath, $"metadata key '{key}' is missing (expected {expected})");

    private bool TryGet<T>(string key, Conversion<T> convert, string expected, out T value)
    {
        if (!values.TryGetValue(key, out var raw))
        {
            value = default!;
            return false;
        }
        if (!convert(raw, out value))
            throw new InvalidModelFileException(FilePath, $"metadata key '{key}' is {Show(raw)}, expected {expected}");
        return true;
    }

    private static string Show(object raw) => raw is Array or string
        ? GgufValueTypes.Describe(raw)
        : $"{GgufValueTypes.Describe(raw)} {raw}";

    private static string ArrayName<T>() => typeof(T) == typeof(object)
        ? "an array of arrays"
        : $"an array of {(GgufValueTypes.ElementTypeOf(Array.Empty<T>()) is { } t ? GgufValueTypes.Name(t) : typeof(T).Name)}";

    private static bool AsString(object raw, out string value)
    {
        value = raw as string ?? "";
        return raw is string;
    }

    private static bool AsBool(object raw, out bool value)
    {
        value = raw is true;
        return raw is bool;
    }

    private static bool AsArray<T>(object raw, out T[] value)
    {
        // Exact type only: array covariance would let a string[] pass as object[].
        var ok = raw.GetType() == typeof(T[]);
        value = ok ? (T[])raw : [];
        return ok;
    }

    private static bool AsInt64(object raw, out long value)
    {
        (var ok, value) = raw switch
        {
            byte v => (true, v),
            sbyte v => (true, v),
            ushort v => (true, v),
            short v => (true, v),
            uint v => (true, v),
            int v => (true, v),
            long v => (true, v),
            ulong v when v <= long.MaxValue => (true, (long)v),
            _ => (false, 0L),
        };
        return ok;
    }

    private static bool AsInt32(object raw, out int value)
    {
        var ok = AsInt64(raw, out var wide) && wide is >= int.MinValue and <= int.MaxValue;
        value = ok ? (int)wide : 0;
        return ok;
    }

    private static bool AsSingle(object raw, out float value)
    {
        switch (raw)
        {
            case float f: value = f; return true;
            case double d: value = (float)d; return true;
            case ulong u: value = u; return true;
        }
        var ok = AsInt64(raw, out var wide);
        value = wide;
        return ok;
    }

    /// <inheritdoc />
    public object this[string key] => values.TryGetValue(key, out var v)
        ? v
        : throw new InvalidModelFileException(FilePath, $"metadata key '{key}' is missing");

    /// <inheritdoc />
    public IEnumerable<string> Keys => values.Keys;

    /// <inheritdoc />
    public IEnumerable<object> Values => values.Values;

    /// <inheritdoc />
    public int Count => values.Count;

    /// <inheritdoc />
    public bool ContainsKey(string key) => values.ContainsKey(key);

    /// <inheritdoc />
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out object value) => values.TryGetValue(key, out value);

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, object>> GetEnumerator() => values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
