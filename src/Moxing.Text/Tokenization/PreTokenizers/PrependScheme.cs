namespace Moxing.Text.Tokenization.PreTokenizers;

/// <summary>When a metaspace prefix goes in front of a piece (Hugging Face PrependScheme).</summary>
internal enum PrependScheme
{
    /// <summary>Every piece gets the prefix.</summary>
    Always,

    /// <summary>Only the piece at the start of the text gets it.</summary>
    First,

    /// <summary>No piece gets it.</summary>
    Never,
}
