namespace Moxing.Text.Templates;

/// <summary>Bounds that keep a hostile template from hanging or exhausting memory.</summary>
public sealed record TemplateLimits
{
    /// <summary>The default limits: generous for any real chat template.</summary>
    public static TemplateLimits Default { get; } = new();

    /// <summary>Largest rendered output, and largest string any expression may build, in UTF-16 chars.</summary>
    public int MaxOutputLength { get; init; } = 16 * 1024 * 1024;

    /// <summary>Largest list any expression may build (list concatenation, repetition, range).</summary>
    public int MaxListLength { get; init; } = 1_000_000;

    /// <summary>Most loop iterations plus evaluation steps in one render.</summary>
    public long MaxSteps { get; init; } = 50_000_000;

    /// <summary>Deepest nesting of macro and caller invocations.</summary>
    public int MaxCallDepth { get; init; } = 200;

    /// <summary>Deepest nesting of expressions and statements accepted by the parser.</summary>
    public int MaxNesting { get; init; } = 200;
}
