using System.Text;
using System.Text.Json;
using Moxing.Inference.Scheduling;
using Moxing.Server.OpenAi;
using Moxing.Tests;
using Moxing.Text.Tokenization;

namespace Moxing.Server.Tests.OpenAi;

/// <summary>Log-probabilities JSON cannot hold (−∞, NaN) are reported as OpenAI reports them, -9999, in both response shapes.</summary>
public sealed class LogprobsWriterTests
{
    private static readonly Tokenizer Tokenizer = Tokenizer.FromJson(Fixtures.Path("hf", "tokenizer-files", "qwen3", "tokenizer.json"));

    private static readonly GeneratedToken[] Tokens =
    [
        new(9707, float.NegativeInfinity, [new TokenLogprob(9707, float.NegativeInfinity), new TokenLogprob(1879, float.NaN)]),
        new(1879, -0.5f, [new TokenLogprob(1879, -0.5f)]),
    ];

    private static JsonElement Written(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            write(w);
            w.WriteEndObject();
        }
        return JsonDocument.Parse(Encoding.UTF8.GetString(stream.ToArray())).RootElement.GetProperty("logprobs");
    }

    [Fact]
    public void LegacyShapeReportsNonFiniteLogprobsAsMinus9999()
    {
        var logprobs = Written(w => LogprobsWriter.WriteLegacy(w, Tokenizer, Tokens, 0));
        Assert.Equal([-9999f, -0.5f], logprobs.GetProperty("token_logprobs").EnumerateArray().Select(e => e.GetSingle()));
        Assert.All(logprobs.GetProperty("top_logprobs")[0].EnumerateObject(), p => Assert.Equal(-9999f, p.Value.GetSingle()));
    }

    [Fact]
    public void ChatShapeReportsNonFiniteLogprobsAsMinus9999()
    {
        var content = Written(w => LogprobsWriter.WriteChat(w, Tokenizer, Tokens)).GetProperty("content");
        Assert.Equal(-9999f, content[0].GetProperty("logprob").GetSingle());
        Assert.All(content[0].GetProperty("top_logprobs").EnumerateArray(), t => Assert.Equal(-9999f, t.GetProperty("logprob").GetSingle()));
        Assert.Equal(-0.5f, content[1].GetProperty("logprob").GetSingle());
    }

    [Fact]
    public void LegacyShapeKeepsTheMostLikelyOfAlternativesThatDecodeAlikeAndWritesNullForAnEchoedPromptsFirstToken()
    {
        // two byte tokens that are pieces of UTF-8 characters both decode to U+FFFD
        var pieces = Enumerable.Range(0, 512).Where(id => Tokenizer.Decode([id], skipSpecialTokens: false) == "\uFFFD").Take(2).ToArray();
        Assert.Equal(2, pieces.Length);
        GeneratedToken[] tokens =
        [
            new(9707, float.NaN, null, InPrompt: true),
            new(pieces[0], -1f, [new TokenLogprob(pieces[0], -1f), new TokenLogprob(pieces[1], -2f), new TokenLogprob(1879, -3f)], InPrompt: true),
        ];
        var logprobs = Written(w => LogprobsWriter.WriteLegacy(w, Tokenizer, tokens, 0));
        Assert.Equal(JsonValueKind.Null, logprobs.GetProperty("token_logprobs")[0].ValueKind);
        Assert.Equal(JsonValueKind.Null, logprobs.GetProperty("top_logprobs")[0].ValueKind);
        var top = logprobs.GetProperty("top_logprobs")[1].EnumerateObject().ToList();
        Assert.Equal(["\uFFFD", Tokenizer.Decode([1879], skipSpecialTokens: false)], top.Select(p => p.Name));
        Assert.Equal(-1f, top[0].Value.GetSingle());
    }
}
