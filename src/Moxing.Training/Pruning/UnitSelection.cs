using System.Runtime.InteropServices;

namespace Moxing.Training.Pruning;

/// <summary>
/// Structured removal of units (attention heads, MLP channels): scoring units by the L2 norm of the weight columns
/// that read them, and copying the rows or columns of kept units out of row-major matrices of any plain element size.
/// </summary>
public static class UnitSelection
{
    /// <summary>L2 norm of each group of <paramref name="unit"/> consecutive columns of a [rows, columns] matrix.</summary>
    public static double[] ColumnNorms(ReadOnlySpan<float> matrix, int rows, int columns, int unit)
    {
        var scores = new double[columns / unit];
        for (var r = 0; r < rows; r++)
        {
            var row = matrix.Slice(r * columns, columns);
            for (var c = 0; c < columns; c++) scores[c / unit] += (double)row[c] * row[c];
        }
        for (var u = 0; u < scores.Length; u++) scores[u] = Math.Sqrt(scores[u]);
        return scores;
    }

    /// <summary>Indices of the units kept when the <paramref name="remove"/> lowest-scoring of <paramref name="candidates"/> go, ascending.</summary>
    public static int[] KeepHighest(double[] scores, IReadOnlyList<int> candidates, int remove)
    {
        var order = new int[candidates.Count];
        for (var i = 0; i < order.Length; i++) order[i] = candidates[i];
        // Lowest score first; equal scores drop the later unit.
        Array.Sort(order, (a, b) => scores[a] != scores[b] ? scores[a].CompareTo(scores[b]) : b.CompareTo(a));
        var kept = order[remove..];
        Array.Sort(kept);
        return kept;
    }

    /// <summary>The rows of kept units (each <paramref name="unit"/> rows of <paramref name="rowBytes"/> bytes) of a row-major tensor.</summary>
    public static byte[] KeepRows(ReadOnlySpan<byte> source, long rowBytes, int unit, IReadOnlyList<int> kept)
    {
        var unitBytes = checked((int)(rowBytes * unit));
        var result = new byte[unitBytes * kept.Count];
        for (var i = 0; i < kept.Count; i++) source.Slice(kept[i] * unitBytes, unitBytes).CopyTo(result.AsSpan(i * unitBytes));
        return result;
    }

    /// <summary>The columns of kept units (each <paramref name="unit"/> columns of <paramref name="elementBytes"/>-byte values) of a [rows, columns] matrix.</summary>
    public static byte[] KeepColumns(ReadOnlySpan<byte> source, int rows, int columns, int elementBytes, int unit, IReadOnlyList<int> kept)
    {
        var unitBytes = unit * elementBytes;
        var rowBytes = columns * elementBytes;
        var outRow = kept.Count * unitBytes;
        var result = new byte[rows * outRow];
        for (var r = 0; r < rows; r++)
            for (var i = 0; i < kept.Count; i++)
                source.Slice(r * rowBytes + kept[i] * unitBytes, unitBytes).CopyTo(result.AsSpan(r * outRow + i * unitBytes));
        return result;
    }

    /// <summary>Float rows of kept units.</summary>
    public static float[] KeepRows(ReadOnlySpan<float> source, int columns, int unit, IReadOnlyList<int> kept) =>
        MemoryMarshal.Cast<byte, float>(KeepRows(MemoryMarshal.AsBytes(source), columns * sizeof(float), unit, kept)).ToArray();

    /// <summary>Float columns of kept units.</summary>
    public static float[] KeepColumns(ReadOnlySpan<float> source, int rows, int columns, int unit, IReadOnlyList<int> kept) =>
        MemoryMarshal.Cast<byte, float>(KeepColumns(MemoryMarshal.AsBytes(source), rows, columns, sizeof(float), unit, kept)).ToArray();
}
