using System.Numerics.Tensors;
using Moxing.Core.Quantization;
using Moxing.Core.Tensors;

namespace Moxing.Core.Kernels;

public static partial class MatMul
{
    [ThreadStatic] private static float[]? _transposedRow;

    /// <summary>
    /// y[t, c] = Σ_r x[t, r] · w[r, c] for t &lt; <paramref name="n"/> on this thread: the product with the transpose of a stored
    /// [rows, cols] matrix (x is [n, rows], y [n, cols]), each row decoded once and added, scaled, into every vector's output.
    /// </summary>
    public static void TransposedRows(StoredTensor w, ReadOnlySpan<float> x, int n, Span<float> y)
    {
        if (w.Shape.Length != 2) throw new ArgumentException($"{w.Name} has shape [{string.Join(", ", w.Shape)}]; a transposed product needs [rows, cols]", nameof(w));
        int rows = checked((int)w.RowCount), cols = checked((int)w.RowLength);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (x.Length < (long)n * rows) throw new ArgumentException($"x holds {x.Length} floats; {n} vectors of {rows} for the transpose of {w.Name} need {(long)n * rows}", nameof(x));
        if (y.Length < (long)n * cols) throw new ArgumentException($"y holds {y.Length} floats; {n} vectors of {cols} outputs of the transpose of {w.Name} need {(long)n * cols}", nameof(y));
        var row = _transposedRow is { } buffer && buffer.Length >= cols ? buffer : _transposedRow = new float[cols];
        var decoded = row.AsSpan(0, cols);
        y[..(n * cols)].Clear();
        for (var r = 0; r < rows; r++)
        {
            Dequantizer.Dequantize(w.Type, w.Row(r), decoded);
            for (var t = 0; t < n; t++)
            {
                var output = y.Slice(t * cols, cols);
                TensorPrimitives.MultiplyAdd(decoded, x[t * rows + r], output, output);
            }
        }
    }
}
