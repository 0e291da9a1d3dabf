using System.Buffers.Binary;
using Moxing.Core.IO;
using Moxing.Core.Tensors;

namespace Moxing.Core.Formats.Gguf;

/// <summary>A memory-mapped GGUF file (versions 2 and 3, little-endian): metadata and tensors, validated before use.</summary>
public sealed unsafe class GgufFile : ITensorSource
{
    /// <summary>"GGUF" read as a little-endian uint32.</summary>
    public const uint Magic = 0x46554747;

    /// <summary>Alignment of tensor data when the file does not set <c>general.alignment</c>.</summary>
    public const int DefaultAlignment = 32;

    /// <summary>The metadata key that sets the alignment of tensor data.</summary>
    public const string AlignmentKey = "general.alignment";

    /// <summary>Most dimensions a ggml tensor can have.</summary>
    public const int MaxDims = 4;

    private readonly MappedFile _file;
    private readonly TensorTable _table;

    private GgufFile(MappedFile file, uint version, GgufMetadata metadata, long alignment, long dataOffset, TensorTable table)
    {
        _file = file;
        Version = version;
        Metadata = metadata;
        Alignment = alignment;
        DataOffset = dataOffset;
        _table = table;
    }

    /// <summary>The path the file was opened with.</summary>
    public string FilePath => _file.FilePath;

    /// <summary>GGUF format version (2 or 3).</summary>
    public uint Version { get; }

    /// <summary>The key/value metadata, in file order.</summary>
    public GgufMetadata Metadata { get; }

    /// <summary>Alignment of tensor data in bytes (a power of two).</summary>
    public long Alignment { get; }

    /// <summary>Offset in the file where tensor data begins; tensor offsets are relative to it.</summary>
    public long DataOffset { get; }

    /// <inheritdoc />
    public IReadOnlyList<StoredTensor> Tensors => _table.Tensors;

    /// <inheritdoc />
    public StoredTensor? Find(string name) => _table.Find(name);

    /// <summary>True when the file at <paramref name="path"/> starts with the GGUF magic.</summary>
    public static bool HasMagic(string path)
    {
        Span<byte> head = stackalloc byte[4];
        try
        {
            using var stream = File.OpenRead(path);
            return stream.ReadAtLeast(head, 4, throwOnEndOfStream: false) == 4 && BinaryPrimitives.ReadUInt32LittleEndian(head) == Magic;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidModelFileException(path, $"cannot read the file ({e.Message})", e);
        }
    }

    /// <summary>Maps and validates <paramref name="path"/>; any defect is an <see cref="InvalidModelFileException"/>.</summary>
    public static GgufFile Open(string path)
    {
        var file = MappedFile.Open(path);
        try
        {
            return Read(new BinaryCursor(file));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();

    /// <summary>Rounds <paramref name="offset"/> up to a multiple of <paramref name="alignment"/> (a power of two).</summary>
    internal static long Align(long offset, long alignment) => (offset + alignment - 1) & ~(alignment - 1);

    private readonly record struct TensorInfo(string Name, DType Type, long[] Shape, long Offset, long ByteLength);

    private static GgufFile Read(BinaryCursor cursor)
    {
        var version = ReadPreamble(cursor);
        cursor.Context = "the header";
        // Each tensor info takes at least a name length, n_dims, type and offset; each key/value a key length, type and one byte.
        var tensorCount = cursor.ReadCount("the tensor count", 8 + 4 + 4 + 8);
        var kvCount = cursor.ReadCount("the metadata key/value count", 8 + 4 + 1);
        var metadata = GgufMetadataReader.Read(cursor, kvCount);
        var alignment = ReadAlignment(cursor.File.FilePath, metadata);

        var infos = new TensorInfo[tensorCount];
        for (var i = 0; i < tensorCount; i++) infos[i] = ReadTensorInfo(cursor, i);

        var dataOffset = Align(cursor.Position, alignment);
        var table = PlaceTensors(cursor.File, infos, alignment, dataOffset);
        return new GgufFile(cursor.File, version, metadata, alignment, dataOffset, table);
    }

    private static uint ReadPreamble(BinaryCursor cursor)
    {
        var path = cursor.File.FilePath;
        if (cursor.File.Length < 8)
            throw new InvalidModelFileException(path, $"the file is {cursor.File.Length} bytes, too short for a GGUF header");
        var magic = cursor.ReadU32();
        if (magic != Magic)
            throw new InvalidModelFileException(path, $"not a GGUF file (the first bytes are {magic:X8} as little-endian, not 'GGUF')");
        var version = cursor.ReadU32();
        if (version is 2 or 3) return version;
        if (version == 1)
            throw new InvalidModelFileException(path, "GGUF version 1 is not supported (only versions 2 and 3); convert the file again with a current llama.cpp");
        if ((version & 0xFFFF) == 0 && BinaryPrimitives.ReverseEndianness(version) is >= 1 and <= 3)
            throw new InvalidModelFileException(path, $"the file is big-endian GGUF (version {BinaryPrimitives.ReverseEndianness(version)} byte-swapped); only little-endian files are supported");
        throw new InvalidModelFileException(path, $"GGUF version {version} is not supported (only versions 2 and 3)");
    }

    private static long ReadAlignment(string path, GgufMetadata metadata)
    {
        if (!metadata.TryGetInt64(AlignmentKey, out var alignment)) return DefaultAlignment;
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0)
            throw new InvalidModelFileException(path, $"metadata key '{AlignmentKey}' is {alignment}, expected a power of two");
        return alignment;
    }

    private static TensorInfo ReadTensorInfo(BinaryCursor cursor, int index)
    {
        var path = cursor.File.FilePath;
        cursor.Context = $"tensor info #{index}";
        var name = cursor.ReadUtf8((long)Math.Min(cursor.ReadU64(), long.MaxValue));
        cursor.Context = $"tensor info #{index} '{name}'";
        var nDims = cursor.ReadU32();
        if (nDims > MaxDims) throw cursor.Error($"tensor '{name}' has {nDims} dimensions, more than {MaxDims}");

        // GGUF lists dimensions innermost first (ne0 = row length); Shape is outermost first.
        var shape = new long[nDims];
        long elements = 1;
        for (var j = 0; j < nDims; j++)
        {
            var d = cursor.ReadU64();
            if (d == 0 || d > long.MaxValue) throw cursor.Error($"tensor '{name}' dimension {j} is {d}, expected 1 to 2^63-1");
            shape[nDims - 1 - j] = (long)d;
            if (!TryMultiply(elements, (long)d, out elements))
                throw cursor.Error($"tensor '{name}' has more than 2^63 elements");
        }

        var typeId = cursor.ReadU32();
        var type = (DType)typeId;
        if (typeId >= (uint)DType.U8 || !Enum.IsDefined(type) || !type.IsSupported())
            throw cursor.Error($"tensor '{name}' has ggml type id {typeId}{(Enum.IsDefined(type) && typeId < (uint)DType.U8 ? $" ({type})" : "")}, which is not supported");
        var rowLength = nDims == 0 ? 1 : shape[^1];
        if (rowLength % type.BlockSize() != 0)
            throw cursor.Error($"tensor '{name}' of type {type} has rows of {rowLength} elements, not a multiple of the block size {type.BlockSize()}");
        if (!TryMultiply(elements / type.BlockSize(), type.BlockBytes(), out var bytes))
            throw cursor.Error($"tensor '{name}' takes more than 2^63 bytes");

        var offset = cursor.ReadU64();
        if (offset > long.MaxValue) throw cursor.Error($"tensor '{name}' has data offset {offset}, beyond any file");
        return new TensorInfo(name, type, shape, (long)offset, bytes);
    }

    private static TensorTable PlaceTensors(MappedFile file, TensorInfo[] infos, long alignment, long dataOffset)
    {
        var path = file.FilePath;
        var dataLength = file.Length - dataOffset;
        var table = new TensorTable(infos.Length);
        foreach (var t in infos)
        {
            if (t.Offset % alignment != 0)
                throw new InvalidModelFileException(path, $"tensor '{t.Name}' data offset {t.Offset} is not a multiple of the alignment {alignment}");
            if (t.Offset > dataLength || t.ByteLength > dataLength - t.Offset)
                throw new InvalidModelFileException(path, $"tensor '{t.Name}' data [{t.Offset}, +{t.ByteLength}) runs past the end of the {Math.Max(dataLength, 0)}-byte data area (truncated?)");
            if (!table.TryAdd(new StoredTensor(t.Name, t.Type, t.Shape, file.Pointer + dataOffset + t.Offset, t.ByteLength)))
                throw new InvalidModelFileException(path, $"tensor '{t.Name}' appears twice");
        }

        var byOffset = (TensorInfo[])infos.Clone();
        Array.Sort(byOffset, (a, b) => a.Offset.CompareTo(b.Offset));
        for (var i = 1; i < byOffset.Length; i++)
        {
            var (prev, next) = (byOffset[i - 1], byOffset[i]);
            if (next.Offset < prev.Offset + prev.ByteLength)
                throw new InvalidModelFileException(path, $"tensor '{next.Name}' data at offset {next.Offset} overlaps tensor '{prev.Name}' [{prev.Offset}, {prev.Offset + prev.ByteLength})");
        }
        return table;
    }

    private static bool TryMultiply(long a, long b, out long product)
    {
        var wide = Math.BigMul(a, b, out product);
        return wide == 0 && product >= 0;
    }
}
