using Moxing.Core.Ops;

namespace Moxing.Core.Tests.Ops;

/// <summary>The score and value steps of attention against a double-precision statement, on every head size path: whole
/// 256-bit vectors (fused loops), an odd number of them, and sizes that take the per-row fallback.</summary>
public sealed class AttentionStepsTests
{
    [Theory]
    [InlineData(64, 1, 1)]
    [InlineData(64, 7, 37)]
    [InlineData(72, 2, 5)]
    [InlineData(128, 4, 16)]
    [InlineData(256, 1, 9)]
    [InlineData(12, 3, 6)]
    [InlineData(80, 5, 3)]
    public void Scores_and_weighted_values_equal_the_formulas(int headDim, int heads, int rows)
    {
        var random = new Random(headDim * 31 + heads * 7 + rows);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        float[] queries = Random(heads * headDim), keys = Random(rows * headDim), values = Random(rows * headDim);
        var stride = rows + 3;
        var scores = new float[heads * stride];
        Array.Fill(scores, float.NaN);
        Attention.Scores(queries, keys, headDim, 0.125f, scores, stride);
        for (var h = 0; h < heads; h++)
        {
            for (var j = 0; j < rows; j++)
            {
                var expected = 0.0;
                for (var d = 0; d < headDim; d++) expected += (double)queries[h * headDim + d] * keys[j * headDim + d];
                Assert.Equal(expected * 0.125, scores[h * stride + j], 1e-5);
            }
            // the stride's padding is left alone
            Assert.All(scores.AsSpan(h * stride + rows, 3).ToArray(), s => Assert.True(float.IsNaN(s)));
        }

        var weights = Random(heads * stride);
        var outputs = Random(heads * headDim);
        var start = (float[])outputs.Clone();
        Attention.AccumulateValues(weights, stride, values, headDim, outputs);
        for (var h = 0; h < heads; h++)
            for (var d = 0; d < headDim; d++)
            {
                double expected = start[h * headDim + d];
                for (var j = 0; j < rows; j++) expected += (double)weights[h * stride + j] * values[j * headDim + d];
                Assert.Equal(expected, outputs[h * headDim + d], 1e-5);
            }
    }

    // MLA's values are the front of each latent row: rows of rowStride floats, the first headDim of each summed.
    [Theory]
    [InlineData(512, 576, 3, 21)]
    [InlineData(128, 160, 2, 9)]
    [InlineData(32, 40, 4, 5)]
    [InlineData(16, 20, 1, 3)]
    public void Weighted_values_read_the_front_of_longer_rows(int headDim, int rowStride, int heads, int rows)
    {
        var random = new Random(headDim + rowStride + rows);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        float[] values = Random(rows * rowStride), weights = Random(heads * rows), outputs = Random(heads * headDim);
        var start = (float[])outputs.Clone();
        Attention.AccumulateValues(weights, rows, values, headDim, outputs, rowStride);
        for (var h = 0; h < heads; h++)
            for (var d = 0; d < headDim; d++)
            {
                double expected = start[h * headDim + d];
                for (var j = 0; j < rows; j++) expected += (double)weights[h * rows + j] * values[j * rowStride + d];
                Assert.Equal(expected, outputs[h * headDim + d], 1e-5);
            }
    }

    [Fact]
    public void A_score_row_too_short_for_the_heads_is_refused_before_anything_is_written()
    {
        var scores = new float[10];
        Assert.ThrowsAny<IndexOutOfRangeException>(() => Attention.Scores(new float[2 * 64], new float[4 * 64], 64, 1f, scores, 8));
        Assert.All(scores, s => Assert.Equal(0f, s));
    }
}
