using System.Text.Json.Nodes;
using OpenAI.Chat;

namespace Moxing.Server.Tests.Tools;

/// Tool definitions the tool-call tests share, in OpenAI's request shape.
public static class WeatherTools
{
    public const string WeatherSchema =
        """{"type":"object","properties":{"city":{"type":"string","maxLength":12},"unit":{"enum":["c","f"]}},"required":["city","unit"],"additionalProperties":false}""";

    public const string AddSchema =
        """{"type":"object","properties":{"a":{"type":"integer","minimum":0,"maximum":99},"b":{"type":"integer","minimum":0,"maximum":99}},"required":["a","b"],"additionalProperties":false}""";

    /// OpenAI SDK options offering both tools with <paramref name="choice"/> (parallel calls as the server defaults when null).
    public static ChatCompletionOptions ChatOptions(ChatToolChoice choice, bool? parallel = null, int maxTokens = 160)
    {
        var options = new ChatCompletionOptions { MaxOutputTokenCount = maxTokens, ToolChoice = choice, AllowParallelToolCalls = parallel };
        options.Tools.Add(ChatTool.CreateFunctionTool("get_weather", "The weather in a city", BinaryData.FromString(WeatherSchema)));
        options.Tools.Add(ChatTool.CreateFunctionTool("add", "Adds two numbers", BinaryData.FromString(AddSchema)));
        return options;
    }

    public static JsonArray Both() =>
    [
        Function("get_weather", "The weather in a city", WeatherSchema),
        Function("add", "Adds two numbers", AddSchema),
    ];

    public static JsonObject Function(string name, string description, string schema) => new()
    {
        ["type"] = "function",
        ["function"] = new JsonObject { ["name"] = name, ["description"] = description, ["parameters"] = JsonNode.Parse(schema) },
    };

    /// Checks a call's arguments (JSON text) against the tool it names.
    public static void AssertValid(string name, string arguments)
    {
        var args = JsonNode.Parse(arguments)!.AsObject();
        if (name == "get_weather")
        {
            Assert.Equal(["city", "unit"], args.Select(p => p.Key).Order());
            // maxLength counts code points, as JSON Schema does.
            Assert.True(((string)args["city"]!).EnumerateRunes().Count() <= 12, arguments);
            Assert.Contains((string)args["unit"]!, new[] { "c", "f" });
        }
        else
        {
            Assert.Equal("add", name);
            Assert.InRange((int)args["a"]!, 0, 99);
            Assert.InRange((int)args["b"]!, 0, 99);
        }
    }
}
