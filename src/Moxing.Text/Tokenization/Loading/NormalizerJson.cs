using System.Text;
using Moxing.Text.Tokenization.Normalizers;

namespace Moxing.Text.Tokenization.Loading;

/// <summary>Reads the "normalizer" section of tokenizer.json.</summary>
internal static class NormalizerJson
{
    /// <summary>The normalizer at <paramref name="node"/>.</summary>
    public static INormalizer Read(JsonNode node)
    {
        string type = node.Type();
        return type switch
        {
            "NFC" => new UnicodeFormNormalizer(NormalizationForm.FormC),
            "NFD" => new UnicodeFormNormalizer(NormalizationForm.FormD),
            "NFKC" => new UnicodeFormNormalizer(NormalizationForm.FormKC),
            "NFKD" => new UnicodeFormNormalizer(NormalizationForm.FormKD),
            "Lowercase" => new LowercaseNormalizer(),
            "Strip" => new StripNormalizer(node.Bool("strip_left", true), node.Bool("strip_right", true)),
            "StripAccents" => CodePointFilterNormalizer.StripAccents(),
            "Replace" => new ReplaceNormalizer(PatternJson.Read(node.Required("pattern")), node.String("content")),
            "Prepend" => new PrependNormalizer(node.String("prepend")),
            "BertNormalizer" or "Bert" => ReadBert(node),
            "Nmt" => new NmtNormalizer(),
            "ByteLevel" => new ByteLevelNormalizer(),
            "Precompiled" => PrecompiledNormalizer.FromBase64(node.Optional("precompiled_charsmap")),
            "Sequence" => new SequenceNormalizer([.. node.Required("normalizers").Items().Select(Read)]),
            _ => throw node.Required("type").Error($"unknown normalizer type '{type}'"),
        };
    }

    private static BertNormalizer ReadBert(JsonNode node)
    {
        bool lowercase = node.Bool("lowercase", true);
        return new BertNormalizer(node.Bool("clean_text", true), node.Bool("handle_chinese_chars", true),
            node.Optional("strip_accents")?.AsBool() ?? lowercase, lowercase);
    }
}
