namespace Moxing.Inference.Constraints.Grammar;

/// <summary>A grammar symbol under construction: a byte class or a rule.</summary>
/// <param name="IsRule">True for a rule reference.</param>
/// <param name="Id">The class index or rule index.</param>
internal readonly record struct Symbol(bool IsRule, int Id);
