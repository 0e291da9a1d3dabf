using System.Text.Json.Nodes;
using Moxing.Tests;

namespace Moxing.Cli.Tests.Commands;

/// <summary>Bad input gives exit code 1 and a one-line message naming the problem: never a stack trace.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-bad-").FullName;

    private static void AssertCleanError((int Code, string Out, string Error) result, params string[] mentions)
    {
        Assert.Equal(1, result.Code);
        Assert.DoesNotContain("   at ", result.Error);
        foreach (var m in mentions) Assert.Contains(m, result.Error);
    }

    [Fact]
    public void TruncatedGgufNamesTheFile()
    {
        var path = Path.Combine(_dir, "cut.gguf");
        File.WriteAllBytes(path, File.ReadAllBytes(Fixtures.Path("gguf", "llama-tiny.Q8_0.gguf"))[..5000]);
        AssertCleanError(CliRunner.Run("logits", path, "--ids", "1,2"), "cut.gguf");
    }

    [Fact]
    public void UnsupportedArchitectureListsTheSupportedOnes()
    {
        foreach (var file in Directory.GetFiles(Fixtures.Path("hf", "models", "llama-tiny")))
            File.Copy(file, Path.Combine(_dir, Path.GetFileName(file)));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "config.json")))!;
        config["model_type"] = "rwkv";
        File.WriteAllText(Path.Combine(_dir, "config.json"), config.ToJsonString());
        AssertCleanError(CliRunner.Run("show", _dir), "rwkv", "llama", "qwen3", "gemma2", "phi3", "gpt2", "bert");
    }

    [Fact]
    public void MalformedConfigNamesTheFile()
    {
        File.WriteAllText(Path.Combine(_dir, "config.json"), "{\"model_type\": \"llama\", ");
        AssertCleanError(CliRunner.Run("show", _dir), "config.json");
    }

    [Fact]
    public void MissingTensorIsNamed()
    {
        File.Copy(Fixtures.Path("hf", "models", "llama-tiny", "config.json"), Path.Combine(_dir, "config.json"));
        new Core.Formats.Safetensors.SafetensorsWriter().Add("model.embed_tokens.weight", [1024, 64], new float[1024 * 64]).Write(Path.Combine(_dir, "model.safetensors"));
        AssertCleanError(CliRunner.Run("show", _dir), "model.layers.0.", "is missing");
    }

    [Fact]
    public void MalformedTokenizerJsonNamesTheFile()
    {
        var path = Path.Combine(_dir, "tokenizer.json");
        File.WriteAllText(path, "{\"model\": {\"type\": \"BPE\", \"vocab\": 3}}");
        AssertCleanError(CliRunner.Run("tokenize", path, "--text", "hi"), "tokenizer.json");
    }

    [Fact]
    public void PromptLongerThanTheContextIsAnError()
    {
        var ids = string.Join(',', Enumerable.Range(1, 40));
        AssertCleanError(CliRunner.Run("run", Fixtures.Path("gguf", "qwen2-tiny.Q8_0.gguf"), "--raw", "--context", "8", "one two three four five six seven eight nine ten"), "context");
        Assert.Equal(0, CliRunner.Run("logits", Fixtures.Path("gguf", "qwen2-tiny.Q8_0.gguf"), "--ids", ids).Code);
    }

    [Fact]
    public void OutOfRangeTokenIdIsAnError() =>
        AssertCleanError(CliRunner.Run("logits", Fixtures.Path("gguf", "qwen2-tiny.Q8_0.gguf"), "--ids", "1,999999"), "999999");

    [Fact]
    public void TemplateRaiseExceptionBecomesAClearError()
    {
        var messages = Path.Combine(_dir, "m.json");
        File.WriteAllText(messages, "[{\"role\": \"assistant\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"again\"}]");
        var config = Path.Combine(_dir, "tokenizer_config.json");
        File.WriteAllText(config, "{\"chat_template\": \"{% for m in messages %}{% if loop.index0 > 0 and m.role == messages[loop.index0 - 1].role %}{{ raise_exception('Conversation roles must alternate') }}{% endif %}{% endfor %}\"}");
        AssertCleanError(CliRunner.Run("template", config, "--messages", messages), "Conversation roles must alternate");
    }

    [Fact]
    public void UnknownCommandAndOptionAreUsageErrors()
    {
        AssertCleanError(CliRunner.Run("frobnicate"), "unknown command");
        AssertCleanError(CliRunner.Run("logits", "x", "--ids", "1", "--bogus", "2"), "--bogus");
        AssertCleanError(CliRunner.Run("show", Path.Combine(_dir, "nothing-here")), "nothing-here");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
