namespace Moxing.Models.Decoder;

/// <summary>
/// Embeddings given in place of a run of placeholder tokens of a sequence (an image's soft tokens): <see cref="Rows"/> holds
/// <see cref="Length"/> rows of the model's hidden width for positions [<see cref="Position"/>, <see cref="End"/>), entered as they are
/// (no embedding scale). With <see cref="Bidirectional"/> its tokens attend to each other both ways (Gemma 3's image mask), so
/// they must be computed in one step; <see cref="ContentHash"/> identifies what they encode (cached prefixes never mix two images).
/// </summary>
public sealed record EmbeddedSpan(int Position, int Length, float[] Rows, bool Bidirectional, ulong ContentHash)
{
    /// <summary>
    /// M-RoPE (Qwen2-VL): the rows are a grid this many tokens wide, row by row, rotated by their (row, column) from the span's first
    /// rotary position, and the text after the span continues max(rows, columns) later (transformers' get_rope_index, llama.cpp's mtmd);
    /// 0: the tokens take consecutive positions.
    /// </summary>
    public int GridWidth { get; init; }

    /// <summary>Rotary positions the span takes up: max(rows, columns) of its grid, else its length.</summary>
    public int RotaryExtent => GridWidth > 0 ? Math.Max(GridWidth, Length / GridWidth) : Length;

    /// <summary>The position after the span.</summary>
    public int End => Position + Length;
}
