using System.Text.Json.Nodes;
using Moxing.Core;
using Moxing.Text.Tokenization;

namespace Moxing.Fuzz.Targets;

/// <summary>The tokenizer.json loader (model, normalizer, pre-tokenizer regexes, post-processor, decoder, added tokens), then a round trip.</summary>
public sealed class TokenizerTarget : FuzzTarget
{
    /// <summary>Vocabulary entries kept when a large fixture is shrunk into a seed.</summary>
    private const int SeedVocabulary = 300;

    private static readonly string[] Texts = ["Hello, world! 123", "  héllo\tWORLD\n\n<|im_start|>user<s></s>", "日本語 🙂 ǅ ﬁ", ""];

    public override string Name => "tokenizer";

    public override void Run(byte[] input)
    {
        var tokenizer = Tokenizer.FromJson(ScratchFile.Write("tokenizer.json", input));
        foreach (var text in Texts)
        {
            var ids = tokenizer.Encode(text, addSpecialTokens: true);
            tokenizer.Decode(ids, skipSpecialTokens: false);
        }
    }

    public override bool IsExpected(Exception e) => e is TokenizerException or InvalidModelFileException;

    // The small fixtures as they are; the large ones (Llama 2, Llama 3.1, Qwen3) with their pipelines whole but the vocabulary cut.
    public override IEnumerable<(string Name, byte[] Data)> Seeds(string repository)
    {
        var hf = Path.Combine(Fixtures(repository), "hf");
        foreach (var path in Directory.EnumerateFiles(hf, "tokenizer.json", SearchOption.AllDirectories).Order())
        {
            var name = Path.GetFileName(Path.GetDirectoryName(path)!) + ".json";
            var bytes = File.ReadAllBytes(path);
            yield return (name, bytes.Length <= 64 << 10 ? bytes : Shrink(bytes));
        }
    }

    // Keeps the first ids and the first merges with every token they use or make, so that the cut vocabulary stays consistent.
    private static byte[] Shrink(byte[] json)
    {
        var root = JsonNode.Parse(json)!.AsObject();
        var model = root["model"]!.AsObject();
        var merges = model["merges"] as JsonArray;
        var firstMerges = merges?.Take(SeedVocabulary).Select(m => MergeParts(m!)).ToList() ?? [];
        if (model["vocab"] is JsonObject vocab)
        {
            var kept = new HashSet<string>(firstMerges.SelectMany(p => (string[])[p[0], p[1], p[0] + p[1]]), StringComparer.Ordinal);
            var small = new JsonObject();
            foreach (var (token, id) in vocab)
                if ((int)id! < SeedVocabulary || kept.Contains(token)) small[token] = id!.DeepClone();
            model["vocab"] = small;
        }
        else if (model["vocab"] is JsonArray pieces)
            model["vocab"] = new JsonArray([.. pieces.Take(SeedVocabulary).Select(p => p!.DeepClone())]);
        if (merges is not null) model["merges"] = new JsonArray([.. merges.Take(SeedVocabulary).Select(m => m!.DeepClone())]);
        if (root["added_tokens"] is JsonArray added)
            root["added_tokens"] = new JsonArray([.. added.Take(16).Select(t => t!.DeepClone())]);
        return System.Text.Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    // A merge is "left right" (older files) or ["left", "right"].
    private static string[] MergeParts(JsonNode merge) =>
        merge is JsonArray pair ? [.. pair.Select(p => (string)p!)] : ((string)merge!).Split(' ', 2);
}
