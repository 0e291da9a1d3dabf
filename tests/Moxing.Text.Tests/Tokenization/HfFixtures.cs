using System.Collections.Concurrent;
using System.Text.Json;
using Moxing.Text.Tokenization;

namespace Moxing.Text.Tests.Tokenization;

/// <summary>The Hugging Face reference cases in tests/fixtures/hf/tokenizers and the tokenizers they belong to.</summary>
internal static class HfFixtures
{
    public static readonly string[] Names = ["qwen3", "llama3_1", "llama2", "tiny-bpe", "tiny-wordpiece"];

    private static readonly ConcurrentDictionary<string, Lazy<Tokenizer>> Tokenizers = new();

    public sealed record Case(string Text, int[] Ids, int[] IdsWithSpecial, string Decoded, string DecodedSkipSpecial);

    public static string TokenizerPath(string name) => name switch
    {
        "tiny-bpe" => Moxing.Tests.Fixtures.Path("hf", "models", "llama-tiny", "tokenizer.json"),
        "tiny-wordpiece" => Moxing.Tests.Fixtures.Path("hf", "models", "bert-tiny", "tokenizer.json"),
        _ => Moxing.Tests.Fixtures.Path("hf", "tokenizer-files", name, "tokenizer.json"),
    };

    public static Tokenizer Tokenizer(string name) =>
        Tokenizers.GetOrAdd(name, n => new Lazy<Tokenizer>(() => Moxing.Text.Tokenization.Tokenizer.FromJson(TokenizerPath(n)))).Value;

    public static IReadOnlyList<Case> Cases(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Moxing.Tests.Fixtures.Path("hf", "tokenizers", name + ".json")));
        var cases = new List<Case>();
        foreach (var c in document.RootElement.GetProperty("cases").EnumerateArray())
        {
            cases.Add(new Case(c.GetProperty("text").GetString()!, Ints(c.GetProperty("ids")), Ints(c.GetProperty("ids_with_special")),
                c.GetProperty("decoded").GetString()!, c.GetProperty("decoded_skip_special").GetString()!));
        }
        return cases;
    }

    public static TheoryData<string, int> AllCases()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in Names)
        {
            for (int i = 0; i < Cases(name).Count; i++) data.Add(name, i);
        }
        return data;
    }

    private static int[] Ints(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetInt32())];
}
