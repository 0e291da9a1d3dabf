using System.Text.Json;
using Moxing.Text.Tokenization.PostProcessors;

namespace Moxing.Text.Tokenization.Loading;

/// <summary>Reads the "post_processor" section of tokenizer.json into the ids put around a single sequence.</summary>
internal static class PostProcessorJson
{
    /// <summary>The post-processor at <paramref name="node"/>.</summary>
    public static WrappingPostProcessor Read(JsonNode node)
    {
        string type = node.Type();
        return type switch
        {
            "TemplateProcessing" => ReadTemplate(node),
            "BertProcessing" or "RobertaProcessing" => new WrappingPostProcessor([ReadIdPair(node.Required("cls"))], [ReadIdPair(node.Required("sep"))]),
            "ByteLevel" => WrappingPostProcessor.None,
            "Sequence" => node.Required("processors").Items().Select(Read).Aggregate(WrappingPostProcessor.None, (a, b) => a.Then(b)),
            _ => throw node.Required("type").Error($"unknown post-processor type '{type}'"),
        };
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
        var prefix = new List<int>();
        var suffix = new List<int>();
        bool seenSequence = false;
        JsonNode single = node.Required("single");
        foreach (var (name, isSequence, at) in ReadPieces(single))
        {
            if (isSequence)
            {
                seenSequence = true;
                continue;
            }
            if (!specials.TryGetValue(name, out int[]? ids)) throw at.Error($"special token '{name}' is not in special_tokens");
            (seenSequence ? suffix : prefix).AddRange(ids);
        }
        return new WrappingPostProcessor(prefix, suffix);
    }

    // A template is a list of {"SpecialToken": {"id": …}} / {"Sequence": {"id": "A"}} objects, or strings like "[CLS]:0 $A:0".
    private static IEnumerable<(string Name, bool IsSequence, JsonNode At)> ReadPieces(JsonNode template)
    {
        IEnumerable<(string, JsonNode)> items = template.Element.ValueKind == JsonValueKind.String
            ? template.AsString().Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => (s, template))
            : template.Items().Select(item => (item.Element.ValueKind == JsonValueKind.String ? item.AsString() : "", item));
        foreach (var (text, at) in items)
        {
            if (text.Length > 0)
            {
                string id = text.Split(':')[0];
                yield return id.StartsWith('$') ? (id, true, at) : (id, false, at);
                continue;
            }
            if (at.Optional("Sequence") is not null) yield return ("", true, at);
            else if (at.Optional("SpecialToken") is { } special) yield return (special.String("id"), false, special);
            else throw at.Error("expected {\"SpecialToken\": …} or {\"Sequence\": …}");
        }
    }
}
