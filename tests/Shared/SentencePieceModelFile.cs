using System.Text;

namespace Moxing.Tests;

/// <summary>Writes SentencePiece tokenizer.model files for tests: a protobuf ModelProto whose field 1 repeats the pieces.</summary>
internal static class SentencePieceModelFile
{
    // ModelProto field 2, trainer_spec { model_type: BPE (field 3), byte_fallback: true (field 35) }, which SentencePiece
    // requires of a model holding byte pieces.
    private static readonly byte[] BpeTrainerSpec = [0x12, 0x05, 0x18, 0x02, 0x98, 0x02, 0x01];

    /// <summary>The serialized model: the pieces, a BPE trainer spec with byte fallback, then <paramref name="extra"/> (already encoded fields).</summary>
    public static byte[] Serialize(IEnumerable<(string Piece, float Score, int Type)> pieces, byte[]? extra = null)
    {
        using var model = new MemoryStream();
        foreach (var (piece, score, type) in pieces)
        {
            using var message = new MemoryStream();
            var text = Encoding.UTF8.GetBytes(piece);
            message.WriteByte(0x0A); // field 1, length-delimited
            Varint(message, (ulong)text.Length);
            message.Write(text);
            message.WriteByte(0x15); // field 2, fixed32
            message.Write(BitConverter.GetBytes(score));
            message.WriteByte(0x18); // field 3, varint
            Varint(message, (ulong)type);
            model.WriteByte(0x0A);
            Varint(model, (ulong)message.Length);
            message.WriteTo(model);
        }
        model.Write(BpeTrainerSpec);
        if (extra != null) model.Write(extra);
        return model.ToArray();
    }

    /// <summary>
    /// <paramref name="count"/> pieces shaped like Llama 2's: &lt;unk&gt; (unknown), &lt;s&gt; and &lt;/s&gt; (control), the 256 byte
    /// pieces, then normal pieces "▁p259", "▁p260", … scored −1, −2, ….
    /// </summary>
    public static (string Piece, float Score, int Type)[] LlamaLike(int count)
    {
        var pieces = new List<(string, float, int)> { ("<unk>", 0, 2), ("<s>", 0, 3), ("</s>", 0, 3) };
        for (var b = 0; b < 256 && pieces.Count < count; b++) pieces.Add(($"<0x{b:X2}>", 0, 6));
        while (pieces.Count < count) pieces.Add(($"\u2581p{pieces.Count}", 258 - pieces.Count, 1));
        return [.. pieces];
    }

    private static void Varint(Stream stream, ulong value)
    {
        for (; value >= 0x80; value >>= 7) stream.WriteByte((byte)(value | 0x80));
        stream.WriteByte((byte)value);
    }
}
