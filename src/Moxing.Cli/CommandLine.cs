namespace Moxing.Cli;

/// <summary>Entry point of the moxing command: dispatches to a subcommand.</summary>
public static class CommandLine
{
    /// <summary>Runs the command line and returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        Console.WriteLine("moxing");
        return args.Length;
    }
}
