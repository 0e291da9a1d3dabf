namespace Moxing.Inference.Constraints.Json;

/// <summary>How much whitespace constrained JSON may contain between tokens; always bounded so generation cannot loop on it.</summary>
public enum JsonWhitespace
{
    /// <summary>None: compact JSON.</summary>
    Compact,
    /// <summary>At each place: nothing, one space, or a newline followed by up to 20 spaces or tabs (pretty-printing).</summary>
    Bounded,
}
