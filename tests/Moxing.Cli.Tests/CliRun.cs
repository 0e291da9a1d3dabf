using Moxing.Cli;

namespace Moxing.Cli.Tests;

/// Runs a moxing command line in-process and captures its exit code and output.
internal static class CliRun
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = CommandLine.Run(args, new CommandContext(output, error, TextReader.Null, CancellationToken.None));
        return (code, output.ToString(), error.ToString());
    }
}
