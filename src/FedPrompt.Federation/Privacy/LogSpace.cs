namespace FedPrompt.Federation.Privacy;

/// <summary>
/// Arithmetic on numbers held as their logarithms, for sums whose terms span thousands of orders of
/// magnitude (the RDP series). .NET's <c>double.LogP1</c> and <c>double.ExpM1</c> are computed as
/// <c>Log(1 + x)</c> and <c>Exp(x) − 1</c>, which lose all precision for small x; the versions here
/// keep it.
/// </summary>
static class LogSpace
{
    /// <summary>log(1 + x), accurate for small |x| (Goldberg's correction: the rounding of 1 + x is
    /// undone by the exact ratio x / ((1 + x) − 1)).</summary>
    public static double Log1P(double x)
    {
        double u = 1 + x;
        return u == 1 ? x : Math.Log(u) * (x / (u - 1));
    }

    /// <summary>exp(x) − 1, accurate for small |x| (Kahan's correction, the same idea as <see cref="Log1P"/>).</summary>
    public static double ExpM1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1) return x;
        double um1 = u - 1;
        return um1 == -1 ? -1 : um1 * (x / Math.Log(u));
    }

    /// <summary>log(eˣ + eʸ).</summary>
    public static double Add(double x, double y)
    {
        double high = Math.Max(x, y), low = Math.Min(x, y);
        return double.IsNegativeInfinity(low) ? high : high + Log1P(Math.Exp(low - high));
    }

    /// <summary>log(eˣ − eʸ), for x ≥ y.</summary>
    public static double Subtract(double x, double y)
    {
        if (x < y) throw new ArithmeticException($"log-space subtraction would go negative (e^{x} − e^{y})");
        if (double.IsNegativeInfinity(y)) return x;
        if (x == y) return double.NegativeInfinity;
        double gap = x - y;
        // Close values: expm1 keeps the small difference; far apart: log1p of the small ratio.
        return gap < Math.Log(2) ? y + Math.Log(ExpM1(gap)) : x + Log1P(-Math.Exp(-gap));
    }
}
