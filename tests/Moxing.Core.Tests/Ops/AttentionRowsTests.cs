using Moxing.Core.Ops;
using Moxing.Core.Tensors;

namespace Moxing.Core.Tests.Ops;

public sealed class AttentionRowsTests
{
    private static float[] Random(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 4 - 2);
        return values;
    }

    [Fact]
    public void F16RowsRoundToNearestHalfAndF32RowsAreReadInPlace()
    {
        var values = Random(3 * 64, 1);
        var rows = new byte[3 * 64 * 2];
        AttentionRows.Encode(DType.F16, values, rows);
        var decoded = AttentionRows.Decode(DType.F16, rows, new float[values.Length]);
        for (var i = 0; i < values.Length; i++) Assert.Equal((float)(Half)values[i], decoded[i]);

        var f32 = new byte[values.Length * 4];
        AttentionRows.Encode(DType.F32, values, f32);
        Assert.Equal(values, AttentionRows.Decode(DType.F32, f32, []).ToArray());
    }

    [Fact]
    public void Q8RowsStayWithinHalfAStepOfEachBlock()
    {
        var values = Random(2 * 64, 2);
        var rows = new byte[AttentionRows.RowBytes(DType.Q8_0, 64) * 2];
        AttentionRows.Encode(DType.Q8_0, values, rows);
        var decoded = AttentionRows.Decode(DType.Q8_0, rows, new float[values.Length]);
        for (var b = 0; b < values.Length / 32; b++)
        {
            var max = 0f;
            for (var i = 0; i < 32; i++) max = Math.Max(max, Math.Abs(values[b * 32 + i]));
            for (var i = 0; i < 32; i++) Assert.True(Math.Abs(values[b * 32 + i] - decoded[b * 32 + i]) <= max / 127 * 0.51f);
        }
    }

    [Fact]
    public void UnsupportedTypesAndShapesAreNamed()
    {
        Assert.Contains("F32, F16, Q8_0", Assert.Throws<MoxingException>(() => AttentionRows.RowBytes(DType.Q4_0, 64)).Message);
        Assert.Contains("multiple of 32", Assert.Throws<MoxingException>(() => AttentionRows.RowBytes(DType.Q8_0, 48)).Message);
    }

    [Fact]
    public void GroupedHeadsOverSplitRunsEqualOneHeadAtATime()
    {
        const int hd = 8, rows = 11, heads = 3;
        float[] queries = Random(heads * hd, 3), keys = Random(rows * hd, 4), values = Random(rows * hd, 5);
        // Grouped: all heads together over runs of 4, 4 and 3 rows, as a paged cache reads them.
        var scores = new float[heads * rows];
        var output = new float[heads * hd];
        for (var first = 0; first < rows; first += 4)
        {
            var n = Math.Min(4, rows - first);
            Attention.Scores(queries, keys.AsSpan(first * hd, n * hd), hd, 0.3f, scores.AsSpan(first), rows);
        }
        Attention.Normalize(scores, heads, rows, rows, 5f);
        for (var first = 0; first < rows; first += 4)
        {
            var n = Math.Min(4, rows - first);
            Attention.AccumulateValues(scores.AsSpan(first), rows, values.AsSpan(first * hd, n * hd), hd, output);
        }
        for (var h = 0; h < heads; h++)
        {
            var single = new float[hd];
            Attention.Head(queries.AsSpan(h * hd, hd), keys, values, hd, 0, rows, 0.3f, 5f, new float[rows], single);
            for (var i = 0; i < hd; i++) Assert.Equal(single[i], output[h * hd + i], 5);
        }
    }
    [Fact]
    public void F16RowsDecodeEveryHalfExactlyIncludingInfinitiesAndNaNs()
    {
        // all 65536 bit patterns, in rows of 64: the vector route for finite rows, the converter for the rest
        var halves = new byte[65536 * 2];
        for (var i = 0; i < 65536; i++) BitConverter.TryWriteBytes(halves.AsSpan(2 * i), (ushort)i);
        var decoded = AttentionRows.Decode(DType.F16, halves, new float[65536]);
        for (var i = 0; i < 65536; i++)
        {
            var expected = (float)BitConverter.UInt16BitsToHalf((ushort)i);
            if (float.IsNaN(expected)) Assert.True(float.IsNaN(decoded[i]), $"half 0x{i:X4}");
            else Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(decoded[i]));
        }
    }

    [Fact]
    public void A_key_rows_score_is_the_same_bits_in_any_run()
    {
        // the score kernel takes rows eight at a time and the rest one by one: a row's score must not depend on which
        const int hd = 64, rows = 19, heads = 2;
        float[] queries = Random(heads * hd, 6), keys = Random(rows * hd, 7);
        var whole = new float[heads * rows];
        Attention.Scores(queries, keys, hd, 0.125f, whole, rows);
        var split = new float[heads * rows];
        foreach (var (first, n) in new[] { (0, 3), (3, 16) })
            Attention.Scores(queries, keys.AsSpan(first * hd, n * hd), hd, 0.125f, split.AsSpan(first), rows);
        var single = new float[heads * rows];
        for (var j = 0; j < rows; j++) Attention.Scores(queries, keys.AsSpan(j * hd, hd), hd, 0.125f, single.AsSpan(j), rows);
        Assert.Equal(whole, split);
        Assert.Equal(whole, single);
    }
}
