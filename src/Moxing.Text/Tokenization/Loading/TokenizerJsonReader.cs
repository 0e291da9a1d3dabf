using System.Text.Json;
using Moxing.Core.Formats;
using Moxing.Text.Tokenization.Models;
using Moxing.Text.Tokenization.PostProcessors;

namespace Moxing.Text.Tokenization.Loading;

/// <summary>Reads Hugging Face tokenizer.json (format 1.0) into a <see cref="Tokenizer"/>.</summary>
internal static class TokenizerJsonReader
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 128 };

    /// <summary>Reads a tokenizer.json file and the tokenizer_config.json beside it, if any.</summary>
    public static Tokenizer ReadFile(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TokenizerException($"{path}: cannot read the tokenizer file: {e.Message}", e);
        }
        string configPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", "tokenizer_config.json");
        TokenizerConfig? config = File.Exists(configPath) ? TokenizerConfig.ReadFile(configPath) : null;
        using JsonDocument document = Parse(bytes, path);
        return Build(new JsonNode(document.RootElement, "", path), config);
    }

    /// <summary>Reads tokenizer.json content.</summary>
    public static Tokenizer Read(string json, TokenizerConfig? config, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        using JsonDocument document = Parse(System.Text.Encoding.UTF8.GetBytes(json), source);
        return Build(new JsonNode(document.RootElement, "", source), config);
    }

    /// <summary>Parses JSON bytes, turning invalid UTF-8 and syntax errors into a TokenizerException that names the source.</summary>
    public static JsonDocument Parse(byte[] bytes, string source)
    {
        // JsonDocument checks UTF-8 only when a string is read, and then throws InvalidOperationException.
        if (Utf8Text.FirstInvalidByte(bytes) is var at and >= 0) throw new TokenizerException($"{source}: not valid UTF-8 (byte {at} begins an invalid sequence)");
        try
        {
            return JsonDocument.Parse(bytes, DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new TokenizerException($"{source}: not valid JSON: {e.Message}", e);
        }
    }

    private static Tokenizer Build(JsonNode root, TokenizerConfig? config)
    {
        if (root.Element.ValueKind != JsonValueKind.Object) throw root.Error("expected a JSON object at the top level");
        ITokenModel model = ModelJson.Read(root.Required("model"));
        var normalizer = root.Optional("normalizer") is { } n ? NormalizerJson.Read(n) : null;
        var preTokenizer = root.Optional("pre_tokenizer") is { } p ? PreTokenizerJson.Read(p) : null;
        var postProcessor = root.Optional("post_processor") is { } pp ? PostProcessorJson.Read(pp) : WrappingPostProcessor.None;
        var decoder = root.Optional("decoder") is { } d ? DecoderJson.Read(d) : null;
        var added = root.Optional("added_tokens") is { } a ? ReadAddedTokens(a, model.Vocabulary) : [];

        int? Lookup(string? token)
        {
            if (token is null) return null;
            foreach (var t in added)
            {
                if (t.Content == token) return t.Id;
            }
            return model.Vocabulary.TryGetId(token, out int id) ? id : null;
        }

        int? unk = Lookup(config?.UnkToken ?? ModelUnkToken(model));
        int? bos = config is not null ? Lookup(config.BosToken) : postProcessor.Prefix.Count > 0 ? postProcessor.Prefix[0] : null;
        int? eos = config is not null ? Lookup(config.EosToken) : postProcessor.Suffix.Count > 0 ? postProcessor.Suffix[^1] : null;
        int? pad = Lookup(config?.PadToken);
        var parts = new TokenizerParts(model, normalizer, preTokenizer, postProcessor, decoder, added,
            new SpecialTokenIds(bos, eos, unk, pad), config?.CleanUpTokenizationSpaces ?? false);
        return new Tokenizer(config is null ? parts : TransformersTokenizerClass.Apply(parts, config));
    }

    private static string? ModelUnkToken(ITokenModel model) => model switch
    {
        BpeModel bpe => bpe.Options.UnkToken,
        WordPieceModel wordPiece => wordPiece.UnkToken,
        WordLevelModel wordLevel => wordLevel.UnkToken,
        _ => null,
    };

    private static List<AddedToken> ReadAddedTokens(JsonNode node, Vocabulary vocabulary)
    {
        var tokens = new List<AddedToken>(node.Count);
        foreach (JsonNode item in node.Items())
        {
            string content = item.String("content");
            bool special = item.Bool("special", false);
            // Hugging Face keeps the model's id for a token the vocabulary already has.
            int id = vocabulary.TryGetId(content, out int modelId) ? modelId : item.Required("id").AsIndex();
            tokens.Add(new AddedToken(id, content, special, item.Bool("single_word", false), item.Bool("lstrip", false),
                item.Bool("rstrip", false), item.Bool("normalized", !special)));
        }
        return tokens;
    }
}
