using System.Globalization;
using System.Text.Json.Nodes;
using Moxing.Text.Templates;

namespace Moxing.Text.Tests.Templates;

/// <summary>
/// Every real template in Templates/Data over the conversations of scripts/template-expectations.py: the render equals
/// Python jinja2's under transformers' settings byte for byte, and fails where jinja2 failed (with the template's own
/// message when it raised one).
/// </summary>
public class TemplateExpectationTests
{
    private static readonly string Expected = Path.Combine(TemplateData.Directory, "expected");
    private static readonly JsonNode Conversations = JsonNode.Parse(File.ReadAllText(Path.Combine(Expected, "conversations.json")))!;

    public static TheoryData<string> TemplateNames()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(TemplateData.Directory, "*.jinja").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileNameWithoutExtension(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(TemplateNames))]
    public void RendersEveryConversationLikeJinja2(string name)
    {
        var path = Path.Combine(Expected, name + ".json");
        Assert.True(File.Exists(path), $"no expectations for {name}.jinja: run scripts/template-expectations.py");
        var expected = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var now = DateTime.Parse(Conversations["now"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        var template = TemplateData.Load(name + ".jinja").WithClock(new FixedClock(now));
        var failures = new List<string>();
        foreach (var (caseName, conversation) in Conversations["conversations"]!.AsObject())
        {
            var variables = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (key, value) in Conversations["special_tokens"]!.AsObject()) variables[key] = value!.GetValue<string>();
            foreach (var (key, value) in conversation!["variables"]?.AsObject() ?? []) variables[key] = value?.GetValue<bool>();
            var outcome = expected[caseName] ?? throw new InvalidDataException($"{name}: no expectation for '{caseName}'");
            string? actual = null, error = null;
            try
            {
                actual = template.Render(conversation["messages"], conversation["tools"], conversation["agp"]!.GetValue<bool>(), variables);
            }
            catch (TemplateException e)
            {
                error = e.RaisedByTemplate ? e.Message : "(engine error) " + e.Message;
            }
            if (outcome is JsonValue text)
            {
                if (actual != text.GetValue<string>()) failures.Add($"{caseName}: {(error ?? "rendered differently")}");
            }
            else if (actual is not null) failures.Add($"{caseName}: rendered, jinja2 failed with {outcome["error"]}");
            else if (outcome["raised"]!.GetValue<bool>() && error != outcome["error"]!.GetValue<string>())
                failures.Add($"{caseName}: failed with {error}, the template raised {outcome["error"]}");
        }
        Assert.True(failures.Count == 0, $"{name}:\n" + string.Join("\n", failures));
    }
}
