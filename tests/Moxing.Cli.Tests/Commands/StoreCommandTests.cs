using System.Text.Json.Nodes;
using Moxing.Server.Tests.Store;
using Moxing.Tests;

namespace Moxing.Cli.Tests.Commands;

public sealed class StoreCommandTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("moxing-cli-store-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    private (int Code, string Out, string Error) Run(params string[] args) => CliRunner.Run([.. args, "--home", _home]);

    private static string Gguf(string name) => Fixtures.Path("gguf", name);

    [Fact]
    public void ImportListShowRemove()
    {
        var (code, output, error) = Run("import", Gguf("llama-tiny.Q4_K_M.gguf"));
        Assert.True(code == 0, error);
        Assert.Contains("imported llama-tiny.q4_k_m:latest (gguf, llama Q4_K_M", output);
        (code, output, error) = Run("import", Fixtures.Path("hf", "models", "qwen2-tiny"), "--name", "Tiny/Qwen2:HF");
        Assert.True(code == 0, error);
        Assert.Contains("imported tiny/qwen2:hf (safetensors, qwen2", output);

        (code, output, _) = Run("list");
        Assert.Equal(0, code);
        var lines = output.TrimEnd().Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^NAME\s+ID\s+SIZE\s+FORMAT\s+QUANT\s+MODIFIED", lines[0]);
        Assert.Matches(@"^llama-tiny\.q4_k_m:latest\s+[0-9a-f]{12}\s+0\.23 MiB\s+gguf\s+Q4_K_M\s+just now", lines[1]);
        Assert.Matches(@"^tiny/qwen2:hf\s+[0-9a-f]{12}\s+[0-9.]+ MiB\s+safetensors\s+F32\s+just now", lines[2]);

        var listed = JsonNode.Parse(Run("list", "--json").Out)!.AsArray();
        Assert.Equal("tiny/qwen2:hf", (string?)listed[1]!["name"]);
        Assert.Equal("qwen2", (string?)listed[1]!["architecture"]);
        Assert.True(Directory.Exists((string?)listed[1]!["path"]));

        (code, output, error) = Run("show", "llama-tiny.q4_k_m");
        Assert.True(code == 0, error);
        Assert.Contains("stored as       llama-tiny.q4_k_m:latest", output);
        Assert.Contains("architecture    llama (GGUF)", output);
        var shown = JsonNode.Parse(Run("show", "TINY/QWEN2:HF", "--json").Out)!;
        Assert.Equal("tiny/qwen2:hf", (string?)shown["name"]);
        Assert.Equal("huggingface", (string?)shown["format"]);
        // A path still works as before.
        Assert.Equal("gguf", (string?)JsonNode.Parse(Run("show", Gguf("qwen2-tiny.Q8_0.gguf"), "--json").Out)!["format"]);

        (code, output, _) = Run("rm", "llama-tiny.q4_k_m", "tiny/qwen2:hf");
        Assert.Equal(0, code);
        Assert.Contains("deleted 'llama-tiny.q4_k_m:latest' (freed 0.23 MiB)", output);
        Assert.Contains("deleted 'tiny/qwen2:hf'", output);
        Assert.Contains("no models in", Run("list").Out);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_home, "blobs")));
    }

    [Fact]
    public void StoreMistakesAreCleanErrors()
    {
        AssertCleanError(Run("rm", "nothing"), "model 'nothing:latest' not found");
        AssertCleanError(Run("show", "nothing:v1"), "no stored model 'nothing:v1'");
        AssertCleanError(Run("show", "bad name!"), "not a valid stored model name");
        AssertCleanError(Run("import", Gguf("llama-tiny.Q8_0.gguf"), "--name", "Bad Name"), "invalid model name 'Bad Name'");
        AssertCleanError(Run("import", Path.Combine(_home, "missing.gguf")), "no such GGUF file or model folder");
        AssertCleanError(Run("pull", "org/re po"), "invalid Ollama model name 'org/re po'");
        AssertCleanError(Run("pull", "qwen2.5", "--revision", "v1"), "--revision applies to Hub repositories");
        AssertCleanError(Run("import"), "missing PATH");
    }

    [Fact]
    public async Task PullsFromAMirrorWithProgress()
    {
        await using var hub = await FakeHub.StartAsync();
        hub.Add("org/Tiny-GGUF", "tiny.Q8_0.gguf", File.ReadAllBytes(Gguf("llama-tiny.Q8_0.gguf")));
        hub.Add("org/Tiny-GGUF", "tiny.Q4_K_M.gguf", File.ReadAllBytes(Gguf("llama-tiny.Q4_K_M.gguf")));
        var (code, output, error) = Run("pull", "hf:org/Tiny-GGUF:q4_k_m", "--endpoint", hub.Endpoint);
        Assert.True(code == 0, error);
        Assert.Contains("pulled org/tiny-gguf:q4_k_m (gguf, llama Q4_K_M", output);
        Assert.Contains("tiny.Q4_K_M.gguf", error);
        Assert.Contains("org/tiny-gguf:q4_k_m", Run("list").Out);

        AssertCleanError(Run("pull", "hf:org/Tiny-GGUF", "--endpoint", hub.Endpoint), "has 2 GGUF files", "tiny.Q8_0.gguf, tiny.Q4_K_M.gguf");
        AssertCleanError(Run("pull", "hf:org/missing", "--endpoint", hub.Endpoint), "repository or revision 'main' not found");
    }

    [Fact]
    public async Task PullsAnOllamaNameAndShowsItsParametersAndSystemPrompt()
    {
        await using var registry = await FakeOllamaRegistry.StartAsync();
        registry.Add("library/tiny:q8_0", (FakeOllamaRegistry.Model, File.ReadAllBytes(Gguf("llama-tiny.Q8_0.gguf"))),
            FakeOllamaRegistry.Text(FakeOllamaRegistry.Params, """{"stop":["</s>"],"temperature":0.5,"num_gpu":99}"""),
            FakeOllamaRegistry.Text(FakeOllamaRegistry.SystemPrompt, "Answer in one word."));
        var (code, output, error) = Run("pull", "tiny:q8_0", "--endpoint", registry.Endpoint);
        Assert.True(code == 0, error);
        Assert.Contains("pulled tiny:q8_0 (gguf, llama Q8_0", output);
        Assert.Contains("tiny-q8_0.gguf", error);
        Assert.Contains("note: ollama:library/tiny:q8_0: its parameters num_gpu have no effect here", error);

        (code, output, error) = Run("show", "tiny:q8_0");
        Assert.True(code == 0, error);
        Assert.Contains("  parameter       stop \"</s>\"\n  parameter       temperature 0.5\n", output.ReplaceLineEndings("\n"));
        Assert.Contains("  system          Answer in one word.", output);
        var shown = JsonNode.Parse(Run("show", "tiny:q8_0", "--json").Out)!;
        Assert.Equal("Answer in one word.", (string?)shown["system"]);
        Assert.Equal("stop                           \"</s>\"\ntemperature                    0.5\n", (string?)shown["default_parameters"]);
        Assert.StartsWith("ollama:library/tiny:q8_0 (", (string?)shown["source"]);

        AssertCleanError(Run("pull", "missing:1b", "--endpoint", registry.Endpoint), "model 'missing:1b' not found", "Ollama registry");
    }

    private static void AssertCleanError((int Code, string Out, string Error) result, params string[] mentions)
    {
        Assert.Equal(1, result.Code);
        Assert.DoesNotContain("   at ", result.Error);
        foreach (var m in mentions) Assert.Contains(m, result.Error);
    }
}
