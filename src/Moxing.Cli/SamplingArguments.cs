using Moxing.Inference.Sampling;

namespace Moxing.Cli;

/// <summary>The sampling flags shared by `run` and `generate`.</summary>
public static class SamplingArguments
{
    /// <summary>Help lines for the flags.</summary>
    public const string Help = """
          --greedy               always pick the most likely token (same as --temperature 0)
          --temperature T        softmax temperature (default 0.8; 0 = greedy)
          --top-k K              keep the K most likely tokens (default 40; 0 = all)
          --top-p P              nucleus sampling threshold (default 0.95)
          --min-p P              drop tokens below P × the top probability (default 0.05)
          --repeat-penalty R     penalty on tokens already seen (default 1 = off)
          --presence-penalty X   OpenAI presence penalty (default 0)
          --frequency-penalty X  OpenAI frequency penalty (default 0)
          --seed S               random seed; the same seed gives the same output
        """;

    /// <summary>Reads the flags into options (greedy when --greedy).</summary>
    public static SamplingOptions Read(Arguments args)
    {
        var greedy = args.Flag("greedy");
        var seedText = args.Option("seed");
        ulong? seed = null;
        if (seedText != null)
            seed = ulong.TryParse(seedText, out var s) ? s : throw new UsageException($"--seed expects a non-negative integer, got '{seedText}'");
        var options = new SamplingOptions
        {
            Temperature = greedy ? 0f : args.Float(0.8f, "temperature"),
            TopK = args.Int(40, "top-k"),
            TopP = args.Float(0.95f, "top-p"),
            MinP = args.Float(0.05f, "min-p"),
            RepetitionPenalty = args.Float(1f, "repeat-penalty"),
            PresencePenalty = args.Float(0f, "presence-penalty"),
            FrequencyPenalty = args.Float(0f, "frequency-penalty"),
            Seed = seed,
        };
        try { options.Validate(); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        return options;
    }
}
