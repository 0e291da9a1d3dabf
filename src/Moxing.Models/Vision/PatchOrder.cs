namespace Moxing.Models.Vision;

/// <summary>
/// The order a Qwen2-VL tower takes an image's patches in: each merge square of m × m patches consecutive (the merger's groups), the
/// squares row by row — or, with attention windows (Qwen2.5-VL), window by window (windows of w × w squares from the top left, the
/// last ones cut by the image's edge), row by row within each. <see cref="Windows"/> bounds each window's run of patches.
/// </summary>
internal sealed class PatchOrder
{
    private readonly int[] _units;
    private readonly int _merge;

    /// <summary>The row-major index (row · columns + column) of the patch at each place of the sequence.</summary>
    public int[] Patches { get; }

    /// <summary>Where each window's patches start in the sequence, then the sequence's length; null without windows.</summary>
    public int[]? Windows { get; }

    private PatchOrder(int[] patches, int[] units, int[]? windows, int merge) => (Patches, _units, Windows, _merge) = (patches, units, windows, merge);

    /// <summary>The order of a grid of <paramref name="columns"/> × <paramref name="rows"/> patches for a tower of <paramref name="o"/>.</summary>
    public static PatchOrder Of(VisionOptions o, int columns, int rows)
    {
        int m = o.MergeFactor, unitColumns = columns / m, unitRows = rows / m;
        var window = o.WindowSize > 0 ? o.WindowSize / o.SizeFactor : Math.Max(unitColumns, unitRows);
        var units = new List<int>(unitColumns * unitRows);
        var bounds = new List<int> { 0 };
        for (var wy = 0; wy < unitRows; wy += window)
            for (var wx = 0; wx < unitColumns; wx += window)
            {
                for (var uy = wy; uy < Math.Min(wy + window, unitRows); uy++)
                    for (var ux = wx; ux < Math.Min(wx + window, unitColumns); ux++) units.Add(uy * unitColumns + ux);
                bounds.Add(units.Count * m * m);
            }
        var patches = new int[columns * rows];
        for (var i = 0; i < units.Count; i++)
        {
            int uy = units[i] / unitColumns, ux = units[i] % unitColumns;
            for (var d = 0; d < m * m; d++) patches[i * m * m + d] = (uy * m + d / m) * columns + ux * m + d % m;
        }
        return new PatchOrder(patches, [.. units], o.WindowSize > 0 ? [.. bounds] : null, m);
    }

    /// <summary>The rows <paramref name="x"/> ([patches, width], in sequence order) with the merge squares put back row by row.</summary>
    public float[] Restore(float[] x, int width)
    {
        var run = _merge * _merge * width;
        var result = new float[x.Length];
        for (var i = 0; i < _units.Length; i++) x.AsSpan(i * run, run).CopyTo(result.AsSpan(_units[i] * run, run));
        return result;
    }
}
