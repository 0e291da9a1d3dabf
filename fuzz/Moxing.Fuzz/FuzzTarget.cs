namespace Moxing.Fuzz;

/// <summary>One parser of outside input under fuzzing: what it does with an input, which errors are its own, and where its seeds come from.</summary>
public abstract class FuzzTarget
{
    /// <summary>Every target, by name.</summary>
    public static IReadOnlyList<FuzzTarget> All { get; } =
        [new Targets.GgufTarget(), new Targets.SafetensorsTarget(), new Targets.TokenizerTarget(), new Targets.TemplateTarget(), new Targets.RequestTarget()];

    /// <summary>The name on the command line.</summary>
    public abstract string Name { get; }

    /// <summary>Runs the parser on <paramref name="input"/>; returns normally or throws.</summary>
    public abstract void Run(byte[] input);

    /// <summary>True for the parser's own documented error (a clear message for bad input); anything else is a finding.</summary>
    public abstract bool IsExpected(Exception e);

    /// <summary>Seed inputs built from the test fixtures of the repository at <paramref name="repository"/>.</summary>
    public abstract IEnumerable<(string Name, byte[] Data)> Seeds(string repository);

    /// <summary>The shared fixtures folder of the repository at <paramref name="repository"/>.</summary>
    protected static string Fixtures(string repository) => Path.Combine(repository, "tests", "fixtures");

    /// <summary>Reads the first and last byte of every tensor, so that a table pointing outside the mapped file crashes here.</summary>
    protected static void Touch(IEnumerable<Core.Tensors.StoredTensor> tensors)
    {
        foreach (var tensor in tensors)
            if (tensor.ByteLength is > 0 and <= int.MaxValue)
                _ = tensor.Bytes[0] + tensor.Bytes[^1];
    }

    /// <summary>Runs <paramref name="input"/>; returns the parser's own error when it refused the input, so that only findings escape.</summary>
    public Exception? RunChecked(byte[] input)
    {
        try
        {
            Run(input);
            return null;
        }
        catch (Exception e) when (IsExpected(e))
        {
            return e;
        }
    }
}
