using Moxing.Core;

namespace Moxing.Training.Pruning;

/// <summary>
/// Magnitude pruning: keeps the weights of largest absolute value. Unstructured pruning zeroes the smallest
/// fraction of each tensor (layer scope) or of all tensors together (global scope); N:M pruning keeps the N largest
/// of every M consecutive weights of a row, the layout sparse tensor cores run (2:4).
/// </summary>
public static class MagnitudePruner
{
    /// <summary>
    /// Keep-masks for <paramref name="targets"/>. Tensors whose rows do not divide into groups of M are left dense
    /// for N:M patterns and named in <paramref name="skipped"/>.
    /// </summary>
    public static PruningMasks Masks(IReadOnlyList<PruningTarget> targets, double sparsity, SparsityPattern pattern, PruningScope scope, List<string>? skipped = null)
    {
        if (!(sparsity >= 0 && sparsity < 1)) throw new MoxingException($"sparsity {sparsity} is out of range (expected 0 ≤ s < 1, e.g. 0.5)");
        var masks = new PruningMasks();
        if (!pattern.IsUnstructured)
        {
            if (scope == PruningScope.Global) throw new MoxingException($"--scope global applies to unstructured pruning; {pattern} keeps {pattern.N} of every {pattern.M} weights in each row");
            foreach (var t in targets)
            {
                if (t.RowLength % pattern.M != 0)
                {
                    skipped?.Add($"{t.Name}: rows of {t.RowLength} weights do not divide into groups of {pattern.M}; left dense");
                    masks.Add(t.Name, t.Shape, Dense(t.Values.Length));
                    continue;
                }
                masks.Add(t.Name, t.Shape, KeepLargestInGroups(t.Values, pattern.N, pattern.M));
            }
            return masks;
        }
        if (scope == PruningScope.Global)
        {
            long total = 0;
            foreach (var t in targets) total += t.Values.Length;
            var keeps = PruneSmallest(targets, (long)Math.Round(sparsity * total));
            for (var i = 0; i < targets.Count; i++) masks.Add(targets[i].Name, targets[i].Shape, keeps[i]);
            return masks;
        }
        foreach (var t in targets) masks.Add(t.Name, t.Shape, PruneSmallest([t], (long)Math.Round(sparsity * t.Values.Length))[0]);
        return masks;
    }

    private static byte[] Dense(int count)
    {
        var keep = new byte[count];
        keep.AsSpan().Fill(1);
        return keep;
    }

    // Exactly `count` weights go: all below the count-th smallest magnitude, then ties at it in order.
    private static byte[][] PruneSmallest(IReadOnlyList<PruningTarget> targets, long count)
    {
        long total = 0;
        foreach (var t in targets) total += t.Values.Length;
        if (total > Array.MaxLength) throw new MoxingException($"{total:N0} weights are too many for one global threshold; use --scope layer");
        var sorted = new float[total];
        var offset = 0;
        foreach (var t in targets)
        {
            for (var i = 0; i < t.Values.Length; i++) sorted[offset + i] = MathF.Abs(t.Values[i]);
            offset += t.Values.Length;
        }
        Array.Sort(sorted);
        var threshold = count > 0 ? sorted[count - 1] : -1f;
        long below = count > 0 ? Array.BinarySearch(sorted, 0, (int)count, threshold) : 0;
        // BinarySearch finds some tie; walk back to the first.
        while (below > 0 && sorted[below - 1] == threshold) below--;
        var ties = count - below;
        var keeps = new byte[targets.Count][];
        for (var k = 0; k < targets.Count; k++)
        {
            var values = targets[k].Values;
            var keep = keeps[k] = new byte[values.Length];
            for (var i = 0; i < values.Length; i++)
            {
                var a = MathF.Abs(values[i]);
                if (a > threshold) keep[i] = 1;
                else if (a == threshold && ties-- <= 0) keep[i] = 1;
            }
        }
        return keeps;
    }

    private static byte[] KeepLargestInGroups(float[] values, int n, int m)
    {
        var keep = new byte[values.Length];
        for (var g = 0; g < values.Length; g += m)
            for (var j = g; j < g + m; j++)
            {
                // Rank among the group: larger magnitudes, and equal ones earlier, come first.
                var a = MathF.Abs(values[j]);
                var rank = 0;
                for (var o = g; o < g + m; o++)
                {
                    var b = MathF.Abs(values[o]);
                    if (b > a || (b == a && o < j)) rank++;
                }
                if (rank < n) keep[j] = 1;
            }
        return keep;
    }
}
