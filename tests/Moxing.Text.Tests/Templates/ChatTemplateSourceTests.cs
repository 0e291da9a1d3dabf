using System.Text.Json.Nodes;
using Moxing.Text.Templates;

namespace Moxing.Text.Tests.Templates;

public sealed class ChatTemplateSourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-templates-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly JsonNode Messages = JsonNode.Parse("""[{"role": "user", "content": "Hi"}]""")!;

    private void Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    [Fact]
    public void NamedTemplatesPickToolUseWhenToolsAreGiven()
    {
        Write("tokenizer_config.json", """
            {"bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false}, "eos_token": "</s>",
             "chat_template": [{"name": "default", "template": "{{ bos_token }}D{{ messages|length }}{{ eos_token }}"},
                               {"name": "tool_use", "template": "{{ bos_token }}T{{ tools|length }}"}]}
            """);
        var source = ChatTemplateSource.FromDirectory(_dir);
        Assert.Equal("<s>D1</s>", source.Render(Messages, null, false));
        Assert.Equal("<s>T0", source.Render(Messages, new JsonArray(), false));
        Assert.Equal("<s>D1</s>", source.Render(Messages, new JsonArray(), false, templateName: "default"));
        Assert.Equal("<s>D1<eos>", source.Render(Messages, null, false, new Dictionary<string, object?> { ["eos_token"] = "<eos>" }));
    }

    [Fact]
    public void ChatTemplateJinjaOverridesTokenizerConfig()
    {
        Write("tokenizer_config.json", """{"chat_template": "config", "eos_token": "</s>"}""");
        Write("chat_template.jinja", "file {{ eos_token }}\n");
        Write("additional_chat_templates/rag.jinja", "rag");
        var source = ChatTemplateSource.FromDirectory(_dir);
        Assert.Equal("file </s>", source.Render(Messages, null, false));
        Assert.Equal("rag", source.Render(Messages, null, false, templateName: "rag"));
    }

    [Fact]
    public void SpecialTokensMapFillsMissingTokens()
    {
        Write("tokenizer_config.json", """{"chat_template": "{{ bos_token }}|{{ unk_token }}"}""");
        Write("special_tokens_map.json", """{"bos_token": {"content": "<bos>"}, "unk_token": "<unk>"}""");
        Assert.Equal("<bos>|<unk>", ChatTemplateSource.FromDirectory(_dir).Render(Messages, null, false));
    }

    [Fact]
    public void GgufTemplateString()
    {
        var source = ChatTemplateSource.FromTemplate("{{ bos_token }}{{ messages[0].content }}{% if add_generation_prompt %}>{% endif %}", "<s>", "</s>");
        Assert.Equal("<s>Hi>", source.Render(Messages, null, true));
    }

    [Fact]
    public void ProblemsNameTheFile()
    {
        Assert.Contains("does not exist", Assert.Throws<TemplateException>(() => ChatTemplateSource.FromDirectory(Path.Combine(_dir, "nope"))).Message);
        Write("tokenizer_config.json", """{"eos_token": "</s>"}""");
        Assert.Contains("no chat template", Assert.Throws<TemplateException>(() => ChatTemplateSource.FromDirectory(_dir)).Message);
        Write("tokenizer_config.json", "{not json");
        Assert.Contains("tokenizer_config.json' is not valid JSON", Assert.Throws<TemplateException>(() => ChatTemplateSource.FromDirectory(_dir)).Message);
        Write("tokenizer_config.json", """{"chat_template": [{"name": "rag", "template": "x"}]}""");
        Assert.Contains("no default", Assert.Throws<TemplateException>(() => ChatTemplateSource.FromDirectory(_dir).Render(Messages, null, false)).Message);
        Write("tokenizer_config.json", """{"chat_template": 5}""");
        Assert.Contains("\"chat_template\" must be", Assert.Throws<TemplateException>(() => ChatTemplateSource.FromDirectory(_dir)).Message);
    }

    [Fact]
    public void ToolsAndDocumentsDefaultToNoneAndExtraVariablesConvert()
    {
        var template = ChatTemplate.Parse("{{ tools is none }}{{ documents is none }}{{ flag }}{{ n + 1 }}{{ f }}{{ items }}{{ map.k }}");
        var extra = new Dictionary<string, object?>
        {
            ["flag"] = true,
            ["n"] = 41L,
            ["f"] = 0.5,
            ["items"] = new[] { "a" },
            ["map"] = new Dictionary<string, object?> { ["k"] = "v" },
        };
        Assert.Equal("TrueTrueTrue420.5['a']v", template.Render(Messages, null, false, extra));
    }
}
