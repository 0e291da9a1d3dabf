namespace Moxing.Tests;

/// <summary>How far one run's outputs are from another's, as the fixtures measure it.</summary>
internal static class LogitErrors
{
    /// <summary>max|Δ| / max|ref| over all values (the fixtures' "a").</summary>
    public static double RelativeMax(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxDiff = 0, maxRef = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(expected[i] - actual[i]));
            maxRef = Math.Max(maxRef, Math.Abs(expected[i]));
        }
        return maxDiff / maxRef;
    }
}
