using System.Buffers.Binary;
using System.Text;

namespace Moxing.Text.Tokenization.Loading;

/// <summary>One piece of a SentencePiece model: its text, score and type (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte).</summary>
internal readonly record struct SentencePiece(string Piece, float Score, int Type);

/// <summary>
/// Reads the pieces of a SentencePiece tokenizer.model: a protobuf ModelProto whose field 1 repeats SentencePiece
/// messages (1: piece, 2: score, 3: type). The trainer and normalizer specs are skipped.
/// </summary>
internal static class SentencePieceModelReader
{
    private const int WireVarint = 0, WireFixed64 = 1, WireLength = 2, WireFixed32 = 5;
    private const int TypeNormal = 1, TypeLast = 6;
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>The pieces of the model file at <paramref name="path"/>, in id order.</summary>
    public static IReadOnlyList<SentencePiece> ReadFile(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TokenizerException($"{path}: cannot read the SentencePiece model: {e.Message}", e);
        }
        return Read(bytes, path);
    }

    /// <summary>The pieces of a serialized ModelProto; <paramref name="source"/> names it in errors.</summary>
    public static IReadOnlyList<SentencePiece> Read(ReadOnlySpan<byte> bytes, string source)
    {
        var pieces = new List<SentencePiece>();
        var reader = new ProtoReader(bytes, 0, source);
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.Tag();
            if (field == 1 && wire == WireLength)
            {
                var message = reader.LengthDelimited();
                pieces.Add(ReadPiece(message, reader.Position - message.Length, source, pieces.Count));
            }
            else
            {
                reader.Skip(wire);
            }
        }
        if (pieces.Count == 0) throw new TokenizerException($"{source}: not a SentencePiece model (no pieces)");
        return pieces;
    }

    private static SentencePiece ReadPiece(ReadOnlySpan<byte> message, int offset, string source, int id)
    {
        string? piece = null;
        float score = 0;
        var type = TypeNormal;
        var reader = new ProtoReader(message, offset, source);
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.Tag();
            switch (field, wire)
            {
                case (1, WireLength):
                    var text = reader.LengthDelimited();
                    try
                    {
                        piece = StrictUtf8.GetString(text);
                    }
                    catch (DecoderFallbackException)
                    {
                        throw new TokenizerException($"{source}: piece {id} is not valid UTF-8");
                    }
                    break;
                case (2, WireFixed32):
                    score = BinaryPrimitives.ReadSingleLittleEndian(reader.Fixed32());
                    break;
                case (3, WireVarint):
                    var value = reader.Varint();
                    if (value is < 1 or > TypeLast) throw new TokenizerException($"{source}: piece {id} has type {value}, expected 1 to {TypeLast}");
                    type = (int)value;
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }
        return new SentencePiece(piece ?? throw new TokenizerException($"{source}: piece {id} has no text"), score, type);
    }

    // A cursor over protobuf bytes; every read is bounds-checked and errors name the byte offset in the file.
    private ref struct ProtoReader(ReadOnlySpan<byte> bytes, int baseOffset, string source)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _position;

        public readonly bool AtEnd => _position >= _bytes.Length;

        public readonly int Position => baseOffset + _position;

        public (int Field, int Wire) Tag()
        {
            var tag = Varint();
            var field = tag >> 3;
            if (field is 0 or > int.MaxValue) throw Error($"invalid field number {field}");
            return ((int)field, (int)(tag & 7));
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (AtEnd) throw Error("truncated varint");
                var b = _bytes[_position++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return value;
            }
            throw Error("varint longer than 10 bytes");
        }

        public ReadOnlySpan<byte> LengthDelimited()
        {
            var length = Varint();
            if (length > (ulong)(_bytes.Length - _position)) throw Error($"a field of {length} bytes runs past the end");
            var slice = _bytes.Slice(_position, (int)length);
            _position += (int)length;
            return slice;
        }

        public ReadOnlySpan<byte> Fixed32() => Take(4);

        public void Skip(int wire)
        {
            switch (wire)
            {
                case WireVarint: Varint(); break;
                case WireFixed64: Take(8); break;
                case WireLength: LengthDelimited(); break;
                case WireFixed32: Take(4); break;
                default: throw Error($"unsupported wire type {wire}");
            }
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (_bytes.Length - _position < count) throw Error($"truncated: {count} bytes expected");
            var slice = _bytes.Slice(_position, count);
            _position += count;
            return slice;
        }

        private readonly TokenizerException Error(string problem) => new($"{source}: malformed SentencePiece model at byte {Position}: {problem}");
    }
}
