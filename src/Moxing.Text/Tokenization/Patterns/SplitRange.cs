namespace Moxing.Text.Tokenization.Patterns;

/// <summary>A range of text [Start, End) that a pattern matched, or the gap between two matches.</summary>
internal readonly record struct SplitRange(int Start, int End, bool IsMatch);
