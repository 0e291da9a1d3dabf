using Moxing.Server.Store;
using Moxing.Tests;

namespace Moxing.Cli.Tests.Commands;

/// `moxing create NAME -f Modelfile`: FROM a path or a stored model, PARAMETER / SYSTEM / LICENSE as defaults, optional quantization.
public sealed class CreateCommandTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("moxing-cli-create-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    private (int Code, string Out, string Error) Run(params string[] args) => CliRunner.Run([.. args, "--home", _home]);

    private string Modelfile(string text)
    {
        var path = Path.Combine(_home, "Modelfile-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void A_modelfile_from_a_path_then_from_the_stored_model_sets_defaults_and_quantizes()
    {
        File.Copy(Fixtures.Path("gguf", "llama-k256.F16.gguf"), Path.Combine(_home, "k256.gguf"));
        var (code, output, error) = Run("create", "k256:assistant", "-f", Modelfile(""""
            # a comment
            FROM ./k256.gguf
            PARAMETER temperature 0.2
            PARAMETER num_ctx 128
            PARAMETER stop "<|end|>"
            PARAMETER stop </s>
            SYSTEM """You are terse.
            Answer in one line."""
            LICENSE Apache-2.0
            """"));
        Assert.True(code == 0, error);
        Assert.Contains("created k256:assistant (gguf, llama F16", output);
        var store = ModelStore.Open(_home);
        var defaults = store.Resolve("k256:assistant").Defaults!;
        Assert.Equal(0.2, defaults.Temperature);
        Assert.Equal(128, defaults.NumCtx);
        Assert.Equal(["<|end|>", "</s>"], defaults.Stop);
        Assert.Equal("You are terse.\nAnswer in one line.", defaults.System);
        Assert.Equal("Apache-2.0", store.Resolve("k256:assistant").Manifest.License);

        (code, output, error) = Run("create", "k256:small", "--quantize", "Q4_K_M", "-f", Modelfile("FROM k256:assistant\nPARAMETER temperature 0.7\n"));
        Assert.True(code == 0, error);
        Assert.Contains("Q4_K_M", output);
        var small = ModelStore.Open(_home).Resolve("k256:small");
        Assert.Equal(0.7, small.Defaults!.Temperature);
        Assert.Equal("You are terse.\nAnswer in one line.", small.Defaults.System);
        Assert.True(small.Size < store.Resolve("k256:assistant").Size / 2);
    }

    [Theory]
    [InlineData("FROM x\nTEMPLATE {{ .Prompt }}\n", ":2: TEMPLATE: Go templates are not run here")]
    [InlineData("FROM x\nADAPTER ./lora.gguf\n", "ADAPTER: LoRA adapters")]
    [InlineData("PARAMETER temperature 0.5\n", "no FROM line")]
    [InlineData("FROM x\nPARAMETER mirostat 1\n", "PARAMETER mirostat")]
    [InlineData("FROM x\nPARAMETER temperature hot\n", "PARAMETER temperature")]
    [InlineData("FROM x\nSYSTEM \"\"\"never closed\n", ":2: a \"\"\" block is not closed")]
    [InlineData("FROM x\nWIBBLE 1\n", ":2: unknown instruction 'WIBBLE'")]
    [InlineData("FROM nothing:here\n", "FROM nothing:here: no such file")]
    public void Mistakes_name_the_line_and_create_nothing(string text, string mentions)
    {
        var (code, _, error) = Run("create", "x:new", "-f", Modelfile(text));
        Assert.NotEqual(0, code);
        Assert.Contains(mentions, error);
        Assert.Null(ModelStore.Open(_home).TryResolve("x:new"));
    }
}
