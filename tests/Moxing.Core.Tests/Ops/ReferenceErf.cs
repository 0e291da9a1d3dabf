namespace Moxing.Core.Tests.Ops;

/// <summary>A slow double-precision erf, the reference for GeluErf's float kernel.</summary>
internal static class ReferenceErf
{
    /// <summary>The error function, to double precision (Maclaurin series, then a continued fraction for erfc): the reference the float kernels are checked against.</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        var z = Math.Abs(x);
        if (z < 2.5)
        {
            // The Maclaurin series is accurate here; the continued fraction below converges fast only further out.
            double sum = z, term = z, z2 = z * z;
            for (var n = 1; n < 80; n++)
            {
                term *= -z2 / n;
                var add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            return Math.Sign(x) * sum * 1.1283791670955126;
        }
        return Math.Sign(x) * (1 - Erfc(z));
    }

    // Continued fraction for erfc (Lentz), accurate to ~1e-15 for z >= 2.5.
    private static double Erfc(double z)
    {
        if (z > 27) return 0;
        const double tiny = 1e-300;
        double f = z, c = z, d = 0;
        for (var n = 1; n < 500; n++)
        {
            var a = n * 0.5;
            d = z + a * d;
            d = Math.Abs(d) < tiny ? tiny : d;
            c = z + a / c;
            c = Math.Abs(c) < tiny ? tiny : c;
            d = 1 / d;
            var delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return Math.Exp(-z * z) / (f * 1.7724538509055159);
    }
}
