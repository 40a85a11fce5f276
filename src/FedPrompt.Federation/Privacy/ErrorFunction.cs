namespace FedPrompt.Federation.Privacy;

/// <summary>
/// The complementary error function and its logarithm to near double precision over the whole real
/// line (.NET has neither). The RDP series needs log erfc(x) far into the tail, where erfc itself
/// underflows (x above ~27), so the tail is evaluated directly in log form.
/// </summary>
static class ErrorFunction
{
    /// <summary>Below this the power series for erf converges in a few dozen terms and 1 − erf loses
    /// at most a factor 30 of relative precision; above it the continued fraction needs under a
    /// hundred terms.</summary>
    const double ContinuedFractionFrom = 1.5;

    public static double Erfc(double x) =>
        x < 0 ? 2 - Erfc(-x)
        : x < ContinuedFractionFrom ? 1 - Erf(x)
        : Math.Exp(LogErfcTail(x));

    public static double LogErfc(double x) => x < ContinuedFractionFrom ? Math.Log(Erfc(x)) : LogErfcTail(x);

    /// <summary>erf(x) for 0 ≤ x &lt; 1.5 from erf(x) = 2x/√π · e^(−x²) · Σₙ (2x²)ⁿ / (1·3·5···(2n+1)),
    /// whose terms are all positive: no cancellation.</summary>
    static double Erf(double x)
    {
        double term = 1, sum = 1;
        for (int n = 1; term > 1e-17 * sum; n++)
        {
            term *= 2 * x * x / (2 * n + 1);
            sum += term;
        }
        return 2 * x / Math.Sqrt(Math.PI) * Math.Exp(-x * x) * sum;
    }

    /// <summary>log erfc(x) for x ≥ 1.5 from Laplace's continued fraction
    /// √π · e^(x²) · erfc(x) = 1 / (x + (1/2) / (x + (2/2) / (x + (3/2) / (x + …)))),
    /// evaluated with the modified Lentz method.</summary>
    static double LogErfcTail(double x)
    {
        const double Tiny = 1e-300;
        double fraction = x, c = x, d = 0;
        for (int k = 1; ; k++)
        {
            double a = k / 2.0;
            d = x + a * d;
            if (d == 0) d = Tiny;
            c = x + a / c;
            if (c == 0) c = Tiny;
            d = 1 / d;
            double delta = c * d;
            fraction *= delta;
            if (Math.Abs(delta - 1) < 4e-16) break; // within two ulps of 1: converged to rounding level
        }
        return -x * x - 0.5 * Math.Log(Math.PI) - Math.Log(fraction);
    }
}
