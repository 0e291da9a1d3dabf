using Moxing.Core;
using Moxing.Server.Store;

namespace Moxing.Server.Tests.Store;

/// The Modelfile /api/show writes reads back to the same defaults (quoted stop strings with quotes and backslashes, a
/// multi-line system prompt), and the reader's mistakes name the line.
public sealed class ModelfileTests
{
    [Fact]
    public void A_rendered_modelfile_parses_back_to_its_values()
    {
        var defaults = new ModelDefaults
        {
            Stop = ["<|im_end|>", "say \"stop\"", @"C:\end"],
            Temperature = 0.25,
            TopK = 20,
            RepeatLastN = -1,
            Seed = 42,
            NumCtx = 4096,
            System = "You are terse.\nAnswer in one line.",
        };
        var text = Modelfile.Render("models/q.gguf", defaults);
        var parsed = Modelfile.Parse(text, "show");
        Assert.Equal("models/q.gguf", parsed.From);
        Assert.Equal(defaults, parsed.Defaults);
        Assert.Null(parsed.License);
    }

    [Fact]
    public void Instructions_are_case_blind_and_licenses_accumulate()
    {
        var parsed = Modelfile.Parse("from base:7b\nparameter TEMPERATURE 1\nlicense MIT\nLICENSE \"\"\"Apache\n2.0\"\"\"\n", "m");
        Assert.Equal("base:7b", parsed.From);
        Assert.Equal(1, parsed.Defaults.Temperature);
        Assert.Equal("MIT\n\nApache\n2.0", parsed.License);
    }

    [Theory]
    [InlineData("FROM x\nPARAMETER top_k\n", "m:2: PARAMETER needs a name and a value")]
    [InlineData("FROM x\nPARAMETER seed 1\nPARAMETER seed 2\n", "m:3: PARAMETER seed is given twice")]
    [InlineData("FROM x\nMESSAGE user hi\n", "m:2: MESSAGE: preset conversations")]
    public void Mistakes_name_the_line(string text, string message) =>
        Assert.Contains(message, Assert.Throws<MoxingException>(() => Modelfile.Parse(text, "m")).Message);
}
