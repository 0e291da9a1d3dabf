using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Moxing.Core.Formats.Safetensors;
using Moxing.Tests;

namespace Moxing.Cli.Tests.Commands;

/// <summary>The conformance commands reproduce the fixtures through the command line.</summary>
public sealed class ConformanceCommandTests
{
    private static long[] Longs(SafetensorsFile f, string name) => MemoryMarshal.Cast<byte, long>(f.Find(name)!.Bytes).ToArray();

    [Fact]
    public void HelpListsEveryCommand()
    {
        var (code, output, _) = CliRunner.Run("--help");
        Assert.Equal(0, code);
        foreach (var command in CommandLine.Commands) Assert.Contains(command.Name, output);
    }

    [Fact]
    public void LogitsAndGenerateMatchTheGgufReference()
    {
        var model = Fixtures.Path("gguf", "llama-tiny.F32.gguf");
        using var reference = SafetensorsFile.Open(Fixtures.Path("gguf", "llama-tiny.F32.reference.safetensors"));
        var ids = Longs(reference, "p1.ids");
        var idList = string.Join(',', ids);
        var expected = MemoryMarshal.Cast<byte, float>(reference.Find("p1.logits")!.Bytes).ToArray();
        var all = CliRunner.Json("logits", model, "--ids", idList, "--all")["logits"]!.AsArray();
        Assert.Equal(ids.Length, all.Count);
        var ours = all.SelectMany(row => row!.AsArray().Select(v => v!.GetValue<float>())).ToArray();
        var maxRef = expected.Max(Math.Abs);
        Assert.True(expected.Zip(ours).Max(p => Math.Abs(p.First - p.Second)) <= 1e-3 * maxRef);
        var last = CliRunner.Json("logits", model, "--ids", idList)["logits"]!.AsArray();
        Assert.Equal(ours[^last.Count..], last.Select(v => v!.GetValue<float>()));
        var generated = CliRunner.Json("generate", model, "--ids", idList, "-n", "24", "--greedy", "--ignore-eos")["ids"]!.AsArray();
        Assert.Equal(Longs(reference, "p1.greedy"), generated.Select(v => v!.GetValue<long>()));
    }

    [Fact]
    public void EmbedMatchesBertReference()
    {
        var folder = Fixtures.Path("hf", "models", "bert-tiny");
        using var reference = SafetensorsFile.Open(Path.Combine(folder, "reference.safetensors"));
        var result = CliRunner.Json("embed", folder, "--ids", string.Join(',', Longs(reference, "p0.ids")));
        var expected = MemoryMarshal.Cast<byte, float>(reference.Find("p0.mean_pooled_normalized")!.Bytes).ToArray();
        var ours = result["embedding"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray();
        Assert.True(System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(expected, ours) >= 0.99999);
    }

    [Theory]
    [InlineData("qwen3", "tokenizer-files/qwen3/tokenizer.json")]
    [InlineData("tiny-wordpiece", "models/bert-tiny")]
    [InlineData("qwen3", "../gguf/qwen3-tiny-realvocab.Q8_0.gguf")]
    public void TokenizeAndDetokenizeMatchTheFixtures(string fixture, string source)
    {
        var path = Fixtures.Path("hf", source);
        var cases = JsonNode.Parse(File.ReadAllText(Fixtures.Path("hf", "tokenizers", fixture + ".json")))!["cases"]!.AsArray();
        foreach (var c in cases.Take(6))
        {
            var text = c!["text"]!.GetValue<string>();
            var ids = CliRunner.Json("tokenize", path, "--text", text)["ids"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray();
            Assert.Equal(c["ids"]!.AsArray().Select(v => v!.GetValue<int>()), ids);
            if (ids.Length == 0) continue;
            var decoded = CliRunner.Json("detokenize", path, "--ids", string.Join(',', ids))["text"]!.GetValue<string>();
            Assert.Equal(c["decoded"]!.GetValue<string>(), decoded);
        }
    }

    [Theory]
    [InlineData("qwen3", "tokenizer-files/qwen3")]
    [InlineData("llama3_1", "tokenizer-files/llama3_1")]
    public void TemplateMatchesTheChatFixtures(string fixture, string folder)
    {
        var cases = JsonNode.Parse(File.ReadAllText(Fixtures.Path("hf", "chat", fixture + ".json")))!["cases"]!.AsArray();
        var messages = Path.GetTempFileName();
        try
        {
            foreach (var c in cases.Where(c => c!["error"] is null && c["tools"] is null))
            {
                File.WriteAllText(messages, c!["messages"]!.ToJsonString());
                var args = new List<string> { "template", Fixtures.Path("hf", folder), "--messages", messages, "--json" };
                if (c["add_generation_prompt"]!.GetValue<bool>()) args.Add("--add-generation-prompt");
                foreach (var key in new[] { "date_string", "enable_thinking" })
                    if (c[key] is { } v) args.AddRange(["--var", $"{key}={v.ToJsonString()}"]);
                Assert.Equal(c["text"]!.GetValue<string>(), CliRunner.Json([.. args])["text"]!.GetValue<string>());
            }
        }
        finally { File.Delete(messages); }
    }

    [Fact]
    public void ShowDescribesAGguf()
    {
        var show = CliRunner.Json("show", Fixtures.Path("gguf", "qwen3-tiny-realvocab.Q8_0.gguf"), "--json");
        Assert.Equal("qwen3", show["architecture"]!.GetValue<string>());
        Assert.True(show["chat_template"]!.GetValue<bool>());
        Assert.Equal(151936, show["vocab_size"]!.GetValue<int>());
        Assert.Equal("<|im_end|>", show["special_tokens"]!["eos"]!["text"]!.GetValue<string>());
    }

    [Fact]
    public void RunAppliesTheTemplateAndIsReproducibleWithASeed()
    {
        var model = Fixtures.Path("gguf", "qwen3-tiny-realvocab.Q8_0.gguf");
        var first = CliRunner.Run("run", model, "Hello there", "-n", "12", "--seed", "42");
        var second = CliRunner.Run("run", model, "Hello there", "-n", "12", "--seed", "42");
        Assert.Equal(0, first.Code);
        Assert.NotEqual("", first.Out.Trim());
        Assert.Equal(first.Out, second.Out);
    }

    [Fact]
    public void InteractiveChatAnswersEachLine()
    {
        var (code, output, error) = CliRunner.RunWithInput("Hi\nHow are you?\n/bye\n", "run",
            Fixtures.Path("gguf", "qwen2-tiny.Q8_0.gguf"), "-n", "4", "--greedy");
        Assert.Equal(0, code);
        Assert.Equal(2, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(3, error.Split(">>> ").Length - 1);
    }
}
