using System.Globalization;
using System.Numerics;

namespace Moxing.Text.Templates.Runtime;

/// <summary>Python's <c>round(x, n)</c>: rounds the exact binary value half to even, then returns the nearest double.</summary>
internal static class PythonRound
{
    public static double Round(double x, int digits)
    {
        if (double.IsNaN(x) || double.IsInfinity(x) || x == 0) return x;
        if (digits > 330) return x;
        // x = mantissa * 2^exponent exactly; scale by 10^digits as a rational and round half to even.
        var bits = BitConverter.DoubleToInt64Bits(x);
        var negative = bits < 0;
        var exponent = (int)((bits >> 52) & 0x7FF);
        var mantissa = bits & 0xFFFFFFFFFFFFFL;
        if (exponent == 0) exponent++;
        else mantissa |= 1L << 52;
        exponent -= 1075;
        BigInteger numerator = mantissa, denominator = BigInteger.One;
        if (exponent > 0) numerator <<= exponent;
        else denominator <<= -exponent;
        if (digits >= 0) numerator *= BigInteger.Pow(10, digits);
        else denominator *= BigInteger.Pow(10, -digits);
        var quotient = BigInteger.DivRem(numerator, denominator, out var remainder);
        var twice = remainder * 2;
        if (twice > denominator || (twice == denominator && !quotient.IsEven)) quotient += 1;
        var text = (negative ? "-" : "") + quotient.ToString(CultureInfo.InvariantCulture) + "E" + (-digits).ToString(CultureInfo.InvariantCulture);
        var result = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        return result == 0 && negative ? -0.0 : result;
    }

    /// <summary>Python <c>round(int, n)</c>: unchanged for n ≥ 0, otherwise half to even at 10^-n.</summary>
    public static long RoundInt(long x, long digits)
    {
        if (digits >= 0) return x;
        if (digits < -18) return 0;
        var unit = (long)Math.Pow(10, -digits);
        var q = Math.DivRem(x, unit, out var rem);
        if (rem < 0)
        {
            q--;
            rem += unit;
        }
        if (rem * 2 > unit || (rem * 2 == unit && (q & 1) != 0)) q++;
        return q * unit;
    }
}
