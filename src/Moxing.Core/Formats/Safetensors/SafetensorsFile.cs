using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;
using Moxing.Core.IO;
using Moxing.Core.Tensors;

namespace Moxing.Core.Formats.Safetensors;

/// <summary>A memory-mapped .safetensors file, validated as strictly as Hugging Face's own reader.</summary>
public sealed unsafe class SafetensorsFile : ITensorSource
{
    /// <summary>Largest JSON header accepted (the limit of the reference Rust reader).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    private readonly MappedFile _file;
    private readonly TensorTable _table;

    private SafetensorsFile(MappedFile file, TensorTable table, IReadOnlyDictionary<string, string> metadata, long dataOffset)
    {
        _file = file;
        _table = table;
        Metadata = metadata;
        DataOffset = dataOffset;
    }

    /// <summary>The path the file was opened with.</summary>
    public string FilePath => _file.FilePath;

    /// <summary>The free-form string map stored under <c>__metadata__</c> (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Offset of the first byte of tensor data (8 + header length).</summary>
    public long DataOffset { get; }

    /// <inheritdoc />
    public IReadOnlyList<StoredTensor> Tensors => _table.Tensors;

    /// <inheritdoc />
    public StoredTensor? Find(string name) => _table.Find(name);

    /// <summary>Maps and validates <paramref name="path"/>; any defect is an <see cref="InvalidModelFileException"/>.</summary>
    public static SafetensorsFile Open(string path)
    {
        var file = MappedFile.Open(path);
        try
        {
            var (table, metadata, dataOffset) = Read(file);
            return new SafetensorsFile(file, table, metadata, dataOffset);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();

    private readonly record struct Entry(string Name, DType Type, long[] Shape, long Begin, long End);

    private static (TensorTable, IReadOnlyDictionary<string, string>, long) Read(MappedFile file)
    {
        var path = file.FilePath;
        if (file.Length < 8)
            throw new InvalidModelFileException(path, $"the file is {file.Length} bytes, too short for the 8-byte header length of a safetensors file");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file.Span(0, 8));
        if (headerLength > MaxHeaderBytes)
            throw new InvalidModelFileException(path, $"the header length {headerLength} is larger than the {MaxHeaderBytes}-byte limit (not a safetensors file?)");
        if (headerLength > (ulong)(file.Length - 8))
            throw new InvalidModelFileException(path, $"the header length {headerLength} runs past the end of the {file.Length}-byte file (truncated?)");

        var header = file.Span(8, (int)headerLength);
        if (header.Length == 0 || header[0] != (byte)'{')
            throw new InvalidModelFileException(path, "the header does not start with '{' (not a safetensors file?)");
        if (!Utf8.IsValid(header))
            throw new InvalidModelFileException(path, "the header is not valid UTF-8");

        var dataOffset = 8 + (long)headerLength;
        var dataLength = file.Length - dataOffset;
        var (entries, metadata) = ParseHeader(path, header.ToArray());
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));

        var table = new TensorTable(entries.Count);
        long expectedBegin = 0;
        string? previous = null;
        foreach (var e in entries)
        {
            if (e.End > dataLength)
                throw new InvalidModelFileException(path, $"tensor '{e.Name}' data_offsets [{e.Begin}, {e.End}] run past the {dataLength}-byte data area (truncated?)");
            if (e.Begin < expectedBegin)
                throw new InvalidModelFileException(path, $"tensor '{e.Name}' data_offsets [{e.Begin}, {e.End}] overlap tensor '{previous}' which ends at {expectedBegin}");
            if (e.Begin > expectedBegin)
                throw new InvalidModelFileException(path, $"tensor '{e.Name}' data_offsets [{e.Begin}, {e.End}] leave a gap of {e.Begin - expectedBegin} bytes after {(previous is null ? "the header" : $"tensor '{previous}'")} (tensors must be stored back to back)");
            table.TryAdd(new StoredTensor(e.Name, e.Type, e.Shape, file.Pointer + dataOffset + e.Begin, e.End - e.Begin));
            expectedBegin = e.End;
            previous = e.Name;
        }
        if (expectedBegin != dataLength)
            throw new InvalidModelFileException(path, $"the data area is {dataLength} bytes but the tensors cover only {expectedBegin} (trailing bytes belong to no tensor)");
        return (table, metadata, dataOffset);
    }

    private static (List<Entry>, IReadOnlyDictionary<string, string>) ParseHeader(string path, byte[] header)
    {
        var doc = JsonFiles.Parse(header, path, "JSON header");
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidModelFileException(path, "the JSON header is not an object");
            var entries = new List<Entry>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (!names.Add(property.Name))
                    throw new InvalidModelFileException(path, $"the header lists '{property.Name}' twice");
                if (property.Name == MetadataKey)
                    ReadMetadata(path, property.Value, metadata);
                else
                    entries.Add(ParseEntry(path, property.Name, property.Value));
            }
            return (entries, metadata);
        }
    }

    private static void ReadMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind == JsonValueKind.Null) return;
        if (value.ValueKind != JsonValueKind.Object)
            throw new InvalidModelFileException(path, $"{MetadataKey} must be an object of strings, not {value.ValueKind}");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new InvalidModelFileException(path, $"{MetadataKey} entry '{item.Name}' must be a string, not {item.Value.ValueKind}");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw new InvalidModelFileException(path, $"{MetadataKey} lists '{item.Name}' twice");
        }
    }

    private static Entry ParseEntry(string path, string name, JsonElement value)
    {
        InvalidModelFileException Bad(string problem) => new(path, $"tensor '{name}': {problem}");

        if (value.ValueKind != JsonValueKind.Object) throw Bad($"expected an object with dtype, shape and data_offsets, found {value.ValueKind}");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Bad("'dtype' is missing or not a string");
        var dtypeName = dtypeElement.GetString()!;
        if (!SafetensorsDTypes.TryParse(dtypeName, out var type))
            throw Bad($"dtype '{dtypeName}' is not supported (supported: {SafetensorsDTypes.SupportedNames})");

        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw Bad("'shape' is missing or not an array");
        var shape = new long[shapeElement.GetArrayLength()];
        var i = 0;
        foreach (var d in shapeElement.EnumerateArray())
            shape[i++] = ReadNonNegative(d) ?? throw Bad($"shape entry {d.GetRawText()} is not a non-negative integer");

        if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw Bad("'data_offsets' is missing or not a [begin, end] pair");
        var begin = ReadNonNegative(offsets[0]) ?? throw Bad($"data_offsets begin {offsets[0].GetRawText()} is not a non-negative integer");
        var end = ReadNonNegative(offsets[1]) ?? throw Bad($"data_offsets end {offsets[1].GetRawText()} is not a non-negative integer");
        if (end < begin) throw Bad($"data_offsets [{begin}, {end}] end before they begin");

        long elements = 1, bytes;
        try
        {
            foreach (var d in shape) elements = checked(elements * d);
            bytes = checked(elements * type.BlockBytes());
        }
        catch (OverflowException)
        {
            throw Bad($"shape [{string.Join(", ", shape)}] has more elements than a file can hold");
        }
        if (end - begin != bytes)
            throw Bad($"data_offsets [{begin}, {end}] span {end - begin} bytes but shape [{string.Join(", ", shape)}] of {dtypeName} needs {bytes}");
        return new Entry(name, type, shape, begin, end);
    }

    private static long? ReadNonNegative(JsonElement e) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var v) && v >= 0 ? v : null;
}
