using System.Text.Json.Nodes;

namespace Moxing.Models.Tests.Families;

// Qwen2-VL's and Qwen2.5-VL's language model (Qwen2VLTextModel): Qwen2 whose rotary pairs take, by mrope_section, the temporal, height or
// width position of each token (apply_multimodal_rotary_pos_emb over the doubled sections), the positions from get_rope_index.
internal sealed partial class DenseReference
{
    private int[]? _mropeSection;
    // Each token's (t, h, w) position; null: the token's index for all three.
    private int[][]? _mropePositions;

    // Qwen2(_5)VLForConditionalGeneration: the text config (text_config, else the config itself) over the model.language_model.* tensors.
    private void Qwen2VlText()
    {
        if (_c["text_config"] is JsonObject text)
        {
            _c = text;
            foreach (var (name, values) in _w.ToArray()) _w[name.Replace("model.language_model.", "model.", StringComparison.Ordinal)] = values;
        }
        _mropeSection = [.. _c["rope_scaling"]!["mrope_section"]!.AsArray().Select(n => (int)n!)];
        _type = "qwen2_vl";
    }

    /// <summary>
    /// The logits of <paramref name="ids"/> with each grid's rows (row by row, <c>GridWidth</c> tokens wide) in place of the tokens from its
    /// position, positioned as get_rope_index does for one image frame of that merged grid; <paramref name="drop"/> "rope_deltas" gives
    /// every token its index (the grid's from its first token's), "mrope_hw" swaps rows and columns, "mrope_section" rotates every pair by
    /// the temporal position, "mrope_section_order" reverses the sections.
    /// </summary>
    public double[][] ForwardWithGrids(int[] ids, (int Position, double[][] Rows, int GridWidth)[] grids, string? drop = null)
    {
        _mropePositions = RopeIndex(ids.Length, grids, drop);
        _spans = [.. grids.Select(g => (g.Position, g.Rows, false))];
        try
        {
            return Forward(ids, drop);
        }
        finally
        {
            (_spans, _mropePositions) = ([], null);
        }
    }

    // get_rope_index: text continues one past the largest position before it; an image frame's tokens are its first position plus
    // (0, row, column).
    private static int[][] RopeIndex(int n, (int Position, double[][] Rows, int GridWidth)[] grids, string? drop)
    {
        var positions = new int[n][];
        var next = 0;
        for (var t = 0; t < n;)
        {
            var grid = grids.FirstOrDefault(g => g.Position == t);
            if (grid.Rows == null)
            {
                var p = drop == "rope_deltas" ? t : next;
                positions[t++] = [p, p, p];
                next = p + 1;
                continue;
            }
            var first = drop == "rope_deltas" ? t : next;
            for (var i = 0; i < grid.Rows.Length; i++)
            {
                int row = i / grid.GridWidth, column = i % grid.GridWidth;
                positions[t + i] = drop == "mrope_hw" ? [first, first + column, first + row] : [first, first + row, first + column];
            }
            next = positions.Skip(t).Take(grid.Rows.Length).SelectMany(p => p).Max() + 1;
            t += grid.Rows.Length;
        }
        return positions;
    }

    // The position pair i of token t rotates by: the token's position of the pair's section (sections cycled over the pairs).
    private double PairPosition(int t, int pair)
    {
        if (_mropePositions == null || _mropeSection == null) return t;
        int[] sections = _drop switch
        {
            "mrope_section" => [_mropeSection.Sum(), 0, 0],
            "mrope_section_order" => [.. _mropeSection.Reverse()],
            _ => _mropeSection,
        };
        int sector = pair % sections.Sum(), section = 0, end = sections[0];
        while (sector >= end) end += sections[++section];
        return _mropePositions[t][section];
    }
}
