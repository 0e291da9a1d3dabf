using Moxing.Text.Tokenization.Decoders;

namespace Moxing.Text.Tokenization.Loading;

/// <summary>Reads the "decoder" section of tokenizer.json.</summary>
internal static class DecoderJson
{
    /// <summary>The decoder at <paramref name="node"/>.</summary>
    public static ITokenDecoder Read(JsonNode node)
    {
        string type = node.Type();
        switch (type)
        {
            case "ByteLevel":
                return new ByteLevelDecoder();
            case "Metaspace":
                PreTokenizerJson.ReadMetaspace(node, out char replacement, out var scheme);
                return new MetaspaceDecoder(replacement, scheme);
            case "ByteFallback":
                return new ByteFallbackDecoder();
            case "Fuse":
                return new FuseDecoder();
            case "Strip":
                return new StripDecoder(char.ConvertFromUtf32(PreTokenizerJson.ReadChar(node.Required("content"))),
                    node.Index("start", 0), node.Index("stop", 0));
            case "Replace":
                return new ReplaceDecoder(PatternJson.Read(node.Required("pattern")), node.String("content"));
            case "WordPiece":
                return new WordPieceDecoder(node.OptionalString("prefix") ?? "##", node.Bool("cleanup", true));
            case "BPEDecoder":
                return new BpeDecoder(node.OptionalString("suffix") ?? "</w>");
            case "CTC":
                return new CtcDecoder(node.OptionalString("pad_token") ?? "<pad>", node.OptionalString("word_delimiter_token") ?? "|",
                    node.Bool("cleanup", true));
            case "Sequence":
                return new SequenceDecoder([.. node.Required("decoders").Items().Select(Read)]);
            default:
                throw node.Required("type").Error($"unknown decoder type '{type}'");
        }
    }
}
