using System.Text.Json;
using Moxing.Inference.Tests.Constraints;
using Moxing.Inference.Tests.Reasoning;
using Moxing.Inference.Tools;

namespace Moxing.Inference.Tests.Tools;

public class ToolCallConstraintTests
{
    private static readonly ToolDefinition[] Tools =
    [
        new("get_weather", JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string","maxLength":12},"unit":{"enum":["c","f"]}},"required":["city","unit"],"additionalProperties":false}""").RootElement),
        new("add", JsonDocument.Parse("""{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"required":["a","b"],"additionalProperties":false}""").RootElement),
    ];

    [Theory]
    [InlineData(ToolCallFormat.Hermes, false)]
    [InlineData(ToolCallFormat.Hermes, true)]
    [InlineData(ToolCallFormat.Llama3Json, true)]
    [InlineData(ToolCallFormat.Mistral, true)]
    [InlineData(ToolCallFormat.DeepSeekR1, false)]
    [InlineData(ToolCallFormat.DeepSeekR1, true)]
    [InlineData(ToolCallFormat.DeepSeekV31, true)]
    [InlineData(ToolCallFormat.KimiK2, true)]
    [InlineData(ToolCallFormat.Granite, true)]
    [InlineData(ToolCallFormat.CommandR7B, false)]
    [InlineData(ToolCallFormat.CommandR7B, true)]
    [InlineData(ToolCallFormat.FunctionaryV32, false)]
    [InlineData(ToolCallFormat.FunctionaryV32, true)]
    [InlineData(ToolCallFormat.NemotronV2, false)]
    [InlineData(ToolCallFormat.NemotronV2, true)]
    [InlineData(ToolCallFormat.Apertus, true)]
    [InlineData(ToolCallFormat.Phi4Mini, true)]
    public void RandomWalksAreCallsThatTheParserReadsAndThatValidate(ToolCallFormat format, bool parallel)
    {
        var tokenizer = SharedTokenizers.Qwen3;
        for (var seed = 0; seed < 6; seed++)
        {
            var text = RandomWalk.Run(ToolCallConstraint.Create(Tools, format, tokenizer, parallel), tokenizer, seed);
            var (content, calls) = ToolCallStreamParser.Parse(format, text);
            Assert.True(string.IsNullOrWhiteSpace(content), text);
            Assert.NotEmpty(calls);
            if (!parallel) Assert.Single(calls);
            foreach (var call in calls)
            {
                var tool = Tools.Single(t => t.Name == call.Name);
                using var args = JsonDocument.Parse(call.Arguments);
                Assert.Null(new SchemaValidator(tool.Parameters).Validate(args.RootElement));
            }
        }
    }

    [Theory]
    [InlineData(ToolCallFormat.Qwen3CoderXml)]
    [InlineData(ToolCallFormat.Glm45)]
    [InlineData(ToolCallFormat.MiniMaxM2)]
    [InlineData(ToolCallFormat.SeedOss)]
    [InlineData(ToolCallFormat.Lfm2)]
    [InlineData(ToolCallFormat.Pythonic)]
    public void FormatsWithPlainTextArgumentsAreNotEnforced(ToolCallFormat format)
    {
        Assert.False(ToolCallConstraint.CanEnforce(format));
        var error = Assert.Throws<ArgumentException>(() => ToolCallConstraint.Create(Tools, format, SharedTokenizers.Qwen3));
        Assert.Contains(format.ToString(), error.Message);
    }

    [Fact]
    public void Harmony_calls_use_the_control_tokens_end_with_call_and_parse_back()
    {
        var tokenizer = SharedTokenizers.Harmony;
        var call = tokenizer.TokenToId("<|call|>")!.Value;
        for (var seed = 0; seed < 6; seed++)
        {
            var constraint = ToolCallConstraint.Create(Tools, ToolCallFormat.Harmony, tokenizer, parallel: true);
            Assert.Equal([call], constraint.EndTokenIds);
            var ids = RandomWalk.Ids(constraint, tokenizer, seed);
            // the markup is the control tokens, never their text spelled in ordinary pieces
            Assert.Equal(tokenizer.TokenToId("<|channel|>"), ids[0]);
            Assert.Contains(tokenizer.TokenToId("<|constrain|>")!.Value, ids);
            Assert.Contains(tokenizer.TokenToId("<|message|>")!.Value, ids);
            var text = tokenizer.Decode([.. ids], skipSpecialTokens: false);
            var (reasoning, content, calls) = HarmonyReply.Parse(text);
            Assert.Equal(("", ""), (reasoning, content));
            var parsed = Assert.Single(calls);
            var tool = Tools.Single(t => t.Name == parsed.Name);
            using var args = JsonDocument.Parse(parsed.Arguments);
            Assert.Null(new SchemaValidator(tool.Parameters).Validate(args.RootElement));
        }
    }

    [Fact]
    public void Harmony_markup_a_vocabulary_lacks_is_written_as_text_and_closed_by_the_call_tag()
    {
        var tokenizer = SharedTokenizers.Qwen3;
        var constraint = ToolCallConstraint.Create([Tools[1]], ToolCallFormat.Harmony, tokenizer, endTokenIds: [151645]);
        var text = RandomWalk.Run(constraint, tokenizer, seed: 3);
        Assert.StartsWith("<|channel|>commentary to=functions.add <|constrain|>json<|message|>{", text);
        Assert.EndsWith("}<|call|>", text);
        Assert.Equal("add", Assert.Single(HarmonyReply.Parse(text).Calls).Name);
    }

    [Fact]
    public void Control_tokens_are_never_allowed_where_a_grammar_does_not_name_them()
    {
        var tokenizer = SharedTokenizers.Harmony;
        var constraint = ToolCallConstraint.Create(Tools, ToolCallFormat.Hermes, tokenizer);
        foreach (var markup in SharedTokenizers.HarmonyMarkup) Assert.False(constraint.IsAllowed(tokenizer.TokenToId(markup)!.Value));
        foreach (var id in tokenizer.Encode("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\":\"", addSpecialTokens: false)) constraint.Accept(id);
        // inside a JSON string: any text, yet no control token
        foreach (var markup in SharedTokenizers.HarmonyMarkup) Assert.False(constraint.IsAllowed(tokenizer.TokenToId(markup)!.Value));
        Assert.True(constraint.IsAllowed(tokenizer.Encode("<|", addSpecialTokens: false)[0]));
    }
}
