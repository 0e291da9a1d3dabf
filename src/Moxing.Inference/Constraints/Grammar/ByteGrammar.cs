namespace Moxing.Inference.Constraints.Grammar;

/// <summary>What one grammar element is: a byte class to match, a rule to expand, or the end of an alternative.</summary>
internal enum ElementKind : byte
{
    /// <summary>Matches one byte of a class.</summary>
    Bytes,
    /// <summary>Expands a rule.</summary>
    Rule,
    /// <summary>Ends an alternative (returns to the caller).</summary>
    End,
}

/// <summary>One element of a flattened alternative.</summary>
/// <param name="Kind">What the element is.</param>
/// <param name="Value">The class index (Bytes) or rule index (Rule).</param>
internal readonly record struct GrammarElement(ElementKind Kind, int Value);

/// <summary>
/// A context-free grammar over bytes, flattened: every alternative of every rule is a run of elements ending in
/// <see cref="ElementKind.End"/>. Immutable once built; <see cref="Root"/> is the rule the whole text must match.
/// </summary>
internal sealed class ByteGrammar(GrammarElement[] elements, int[][] alternatives, ByteClass[] classes, int root)
{
    /// <summary>All alternatives, one after another.</summary>
    public GrammarElement[] Elements { get; } = elements;

    /// <summary>Per rule, the start index of each of its alternatives in <see cref="Elements"/>.</summary>
    public int[][] Alternatives { get; } = alternatives;

    /// <summary>The byte classes elements refer to.</summary>
    public ByteClass[] Classes { get; } = classes;

    /// <summary>The rule that must match the whole text.</summary>
    public int Root { get; } = root;
}
