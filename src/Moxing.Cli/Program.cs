return Moxing.Cli.CommandLine.Run(args);
