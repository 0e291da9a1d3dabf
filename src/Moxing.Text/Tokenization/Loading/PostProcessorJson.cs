using System.Globalization;
using System.Text.Json;
using Moxing.Text.Tokenization.PostProcessors;

namespace Moxing.Text.Tokenization.Loading;

/// <summary>Reads the "post_processor" section of tokenizer.json into the ids put around a single sequence and the pair template.</summary>
internal static class PostProcessorJson
{
    /// <summary>The post-processor at <paramref name="node"/>.</summary>
    public static WrappingPostProcessor Read(JsonNode node)
    {
        string type = node.Type();
        return type switch
        {
            "TemplateProcessing" => ReadTemplate(node),
            "BertProcessing" or "RobertaProcessing" => Wrapping(node, roberta: type == "RobertaProcessing"),
            "ByteLevel" => WrappingPostProcessor.None,
            "Sequence" => node.Required("processors").Items().Select(Read).Aggregate(WrappingPostProcessor.None, (a, b) => a.Then(b)),
            _ => throw node.Required("type").Error($"unknown post-processor type '{type}'"),
        };
    }

    // [cls] A [sep] for one sequence; a pair is [cls] A [sep] B [sep] with B's part of type 1, or for RoBERTa, which gives every
    // token type 0, [cls] A [sep] [sep] B [sep].
    private static WrappingPostProcessor Wrapping(JsonNode node, bool roberta)
    {
        int cls = ReadIdPair(node.Required("cls")), sep = ReadIdPair(node.Required("sep"));
        TemplatePiece Sep(int type) => TemplatePiece.Special([sep], type);
        var head = new[] { TemplatePiece.Special([cls], 0), TemplatePiece.Text(0, 0), Sep(0) };
        TemplatePiece[] tail = roberta ? [Sep(0), TemplatePiece.Text(1, 0), Sep(0)] : [TemplatePiece.Text(1, 1), Sep(1)];
        return new WrappingPostProcessor([cls], [sep], [.. head, .. tail]);
    }

    private static int ReadIdPair(JsonNode node)
    {
        if (node.Element.ValueKind != JsonValueKind.Array || node.Count != 2) throw node.Error("expected [token, id]");
        return node.Items().ElementAt(1).AsIndex();
    }

    private static WrappingPostProcessor ReadTemplate(JsonNode node)
    {
        var specials = new Dictionary<string, int[]>(StringComparer.Ordinal);
        if (node.Optional("special_tokens") is { } specialNode)
        {
            if (specialNode.Element.ValueKind != JsonValueKind.Object) throw specialNode.Error("expected an object of name → {id, ids, tokens}");
            foreach (JsonProperty property in specialNode.Element.EnumerateObject())
            {
                var entry = specialNode.Required(property.Name);
                specials[property.Name] = [.. entry.Required("ids").Items().Select(i => i.AsIndex())];
            }
        }
        var single = Pieces(node.Required("single"), specials);
        var sequence = single.FindIndex(p => p.Sequence >= 0);
        var prefix = single.Take(sequence < 0 ? single.Count : sequence).SelectMany(p => p.Ids).ToList();
        var suffix = sequence < 0 ? [] : single.Skip(sequence + 1).SelectMany(p => p.Ids).ToList();
        var pair = node.Optional("pair") is { IsNull: false } pairNode ? Pieces(pairNode, specials) : null;
        return new WrappingPostProcessor(prefix, suffix, pair is { Count: > 0 } ? pair : null);
    }

    private static List<TemplatePiece> Pieces(JsonNode template, Dictionary<string, int[]> specials)
    {
        var pieces = new List<TemplatePiece>();
        foreach (var (name, sequence, type, at) in ReadPieces(template))
        {
            if (sequence >= 0)
            {
                pieces.Add(TemplatePiece.Text(sequence, type));
                continue;
            }
            if (!specials.TryGetValue(name, out int[]? ids)) throw at.Error($"special token '{name}' is not in special_tokens");
            pieces.Add(TemplatePiece.Special(ids, type));
        }
        return pieces;
    }

    // A template is a list of {"SpecialToken": {"id", "type_id"}} / {"Sequence": {"id": "A" | "B", "type_id"}} objects, or strings like
    // "[CLS]:0 $A:0 [SEP]:0 $B:1" (tokenizers' short form: "$" and "$A" are A, "$B" is B, "$1" is A of type 1; ":n" sets the type).
    private static IEnumerable<(string Name, int Sequence, int Type, JsonNode At)> ReadPieces(JsonNode template)
    {
        IEnumerable<(string, JsonNode)> items = template.Element.ValueKind == JsonValueKind.String
            ? template.AsString().Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => (s, template))
            : template.Items().Select(item => (item.Element.ValueKind == JsonValueKind.String ? item.AsString() : "", item));
        foreach (var (text, at) in items)
        {
            if (text.Length > 0)
            {
                yield return ShortPiece(text, at);
                continue;
            }
            if (at.Optional("Sequence") is { } sequence)
            {
                var id = sequence.String("id");
                yield return ("", id switch { "A" => 0, "B" => 1, _ => throw sequence.Required("id").Error($"expected \"A\" or \"B\", found '{id}'") },
                    sequence.Index("type_id", 0), at);
            }
            else if (at.Optional("SpecialToken") is { } special) yield return (special.String("id"), -1, special.Index("type_id", 0), special);
            else throw at.Error("expected {\"SpecialToken\": …} or {\"Sequence\": …}");
        }
    }

    private static (string Name, int Sequence, int Type, JsonNode At) ShortPiece(string text, JsonNode at)
    {
        var colon = text.LastIndexOf(':');
        int? type = null;
        if (colon > 0 && int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var t)) (text, type) = (text[..colon], t);
        if (!text.StartsWith('$')) return (text, -1, type ?? 0, at);
        return text[1..] switch
        {
            "" or "A" or "a" => ("", 0, type ?? 0, at),
            "B" or "b" => ("", 1, type ?? 0, at),
            var n when int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var sequenceType) => ("", 0, type ?? sequenceType, at),
            _ => throw at.Error($"'{text}' names no sequence (expected $A, $B or $<type>)"),
        };
    }
}
