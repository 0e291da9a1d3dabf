using Moxing.Text.Tokenization.Patterns;

namespace Moxing.Text.Tokenization.Loading;

/// <summary>Reads Hugging Face pattern objects: {"String": "…"} or {"Regex": "…"}.</summary>
internal static class PatternJson
{
    /// <summary>The pattern at <paramref name="node"/>.</summary>
    public static ITextPattern Read(JsonNode node)
    {
        if (node.Optional("String") is { } literal) return new LiteralPattern(literal.AsString());
        if (node.Optional("Regex") is { } regex) return Compile(regex);
        throw node.Error("expected {\"String\": …} or {\"Regex\": …}");
    }

    /// <summary>Compiles a regex field, naming the field when the pattern cannot run on .NET.</summary>
    public static OnigRegex Compile(JsonNode node)
    {
        string pattern = node.AsString();
        try
        {
            return new OnigRegex(pattern);
        }
        catch (FormatException e)
        {
            throw node.Error($"regex '{pattern}' cannot be used: {e.Message}");
        }
    }
}
