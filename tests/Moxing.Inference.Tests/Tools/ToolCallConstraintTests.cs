using System.Text.Json;
using Moxing.Inference.Tests.Constraints;
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
}
