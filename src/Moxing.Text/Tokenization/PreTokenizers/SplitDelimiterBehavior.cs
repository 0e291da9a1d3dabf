namespace Moxing.Text.Tokenization.PreTokenizers;

/// <summary>What a split does with the delimiter it matched (Hugging Face SplitDelimiterBehavior).</summary>
internal enum SplitDelimiterBehavior
{
    /// <summary>The delimiter is dropped.</summary>
    Removed,

    /// <summary>The delimiter becomes a piece of its own.</summary>
    Isolated,

    /// <summary>The delimiter joins the piece before it.</summary>
    MergedWithPrevious,

    /// <summary>The delimiter joins the piece after it.</summary>
    MergedWithNext,

    /// <summary>Consecutive delimiters become one piece.</summary>
    Contiguous,
}
