using System.Text.Json.Nodes;

namespace Moxing.Cli.Tests;

/// <summary>Runs the moxing command line in-process and captures its output.</summary>
public static class CliRunner
{
    /// <summary>Exit code, stdout and stderr of `moxing ARGS`.</summary>
    public static (int Code, string Out, string Error) Run(params string[] args) => RunWithInput("", args);

    /// <summary>As <see cref="Run"/> with <paramref name="input"/> on stdin.</summary>
    public static (int Code, string Out, string Error) RunWithInput(string input, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = CommandLine.Run(args, new CommandContext(output, error, new StringReader(input), CancellationToken.None));
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Runs and parses stdout as JSON, asserting success.</summary>
    public static JsonNode Json(params string[] args)
    {
        var (code, output, error) = Run(args);
        Assert.True(code == 0, error);
        return JsonNode.Parse(output)!;
    }
}
