namespace Moxing.Models.Families;

/// <summary>The standard normal distribution's quantile (inverse CDF), as torch's Normal(0, 1).icdf gives it.</summary>
internal static class NormalQuantile
{
    /// <summary>The x with Φ(x) = <paramref name="p"/>: −∞ at 0, +∞ at 1, found by bisection on a double-precision Φ.</summary>
    public static double Of(double p)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(p, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(p, 1);
        if (p == 0) return double.NegativeInfinity;
        if (p == 1) return double.PositiveInfinity;
        double low = -40, high = 40;
        for (var i = 0; i < 200 && high - low > 0; i++)
        {
            var middle = (low + high) / 2;
            if (middle == low || middle == high) break;
            if (Cdf(middle) < p) low = middle;
            else high = middle;
        }
        return (low + high) / 2;
    }

    // Φ(x) = erfc(−x / √2) / 2.
    private static double Cdf(double x) => Erfc(-x / Math.Sqrt(2)) / 2;

    // erfc by erf's Maclaurin series where it converges without much cancellation (|z| < 2.5), else the continued fraction
    // erfc(z) = exp(−z²) / √π · 1 / (z + (1/2) / (z + 1 / (z + (3/2) / (z + …)))) for z > 0 and 2 − erfc(−z) below.
    private static double Erfc(double z)
    {
        if (Math.Abs(z) < 2.5)
        {
            double term = z, sum = z;
            for (var n = 1; n < 200 && Math.Abs(term) > 1e-20; n++)
            {
                term *= -z * z / n;
                sum += term / (2 * n + 1);
            }
            return 1 - 2 / Math.Sqrt(Math.PI) * sum;
        }
        if (z < 0) return 2 - Erfc(-z);
        var fraction = z;
        for (var n = 120; n >= 1; n--) fraction = z + n / 2.0 / fraction;
        return Math.Exp(-z * z) / (Math.Sqrt(Math.PI) * fraction);
    }
}
