namespace FedPrompt.Federation.Privacy;

/// <summary>
/// Rényi DP of the sampled Gaussian mechanism — each participant is included independently with
/// probability q, and Gaussian noise of z times the sensitivity is added to the sum — after Mironov,
/// Talwar, Zhang 2019, "Rényi Differential Privacy of the Sampled Gaussian Mechanism" (the
/// computation TF Privacy's compute_rdp and Opacus' analysis/rdp.py perform). Its RDP at order α is
/// log(A_α) / (α − 1) with
///   A_α = E_{x∼N(0,z²)} [((1 − q) + q·exp((2x − 1) / (2z²)))^α],
/// evaluated with the paper's two series, in log space because their terms under- and overflow
/// double precision long before their sum does.
/// </summary>
public static class SampledGaussianRdp
{
    /// <summary>ρ at order α of one application of the mechanism; composing n applications adds ρ n
    /// times. +∞ without noise.</summary>
    public static double Rdp(double samplingRate, double noiseMultiplier, double order)
    {
        RequireValid(samplingRate, noiseMultiplier);
        RdpAccountant.RequireValidOrder(order);
        if (noiseMultiplier == 0) return double.PositiveInfinity;
        // Without sampling the mechanism is the plain Gaussian one, whose RDP is α / (2z²) (Mironov 2017).
        if (samplingRate == 1) return order / (2 * noiseMultiplier * noiseMultiplier);
        return LogA(samplingRate, noiseMultiplier, order) / (order - 1);
    }

    internal static void RequireValid(double samplingRate, double noiseMultiplier)
    {
        if (!(samplingRate > 0 && samplingRate <= 1))
            throw new ArgumentOutOfRangeException(nameof(samplingRate), samplingRate, "the sampling rate must be in (0, 1]");
        if (!(noiseMultiplier >= 0 && double.IsFinite(noiseMultiplier)))
            throw new ArgumentOutOfRangeException(nameof(noiseMultiplier), noiseMultiplier, "the noise multiplier must be finite and ≥ 0");
    }

    /// <summary>log A_α for 0 &lt; q &lt; 1 and z &gt; 0.</summary>
    internal static double LogA(double q, double sigma, double alpha) =>
        alpha == Math.Floor(alpha) ? LogAIntegerOrder(q, sigma, (int)alpha) : LogAFractionalOrder(q, sigma, alpha);

    /// <summary>Integer α: the binomial expansion A_α = Σᵢ C(α, i) qⁱ (1 − q)^(α−i) exp((i² − i) / (2z²)),
    /// all terms positive.</summary>
    static double LogAIntegerOrder(double q, double sigma, int alpha)
    {
        double logQ = Math.Log(q), log1MinusQ = LogSpace.Log1P(-q);
        double logBinomial = 0, logA = double.NegativeInfinity;
        for (int i = 0; i <= alpha; i++)
        {
            if (i > 0) logBinomial += Math.Log(alpha - i + 1) - Math.Log(i);
            logA = LogSpace.Add(logA, logBinomial + i * logQ + (alpha - i) * log1MinusQ + (i * (double)i - i) / (2 * sigma * sigma));
        }
        return logA;
    }

    /// <summary>
    /// Fractional α: the integral split at z₀ = z² log(1/q − 1) + 1/2, where the mixture's two
    /// components cross, each part expanded with the generalised binomial series:
    ///   A_α = Σᵢ C(α, i) [ qⁱ (1−q)^(α−i) e^((i²−i)/(2z²)) · ½erfc((i − z₀)/(√2 z))
    ///                    + q^(α−i) (1−q)ⁱ e^(((α−i)²−(α−i))/(2z²)) · ½erfc((z₀ − (α−i))/(√2 z)) ].
    /// Past i = α the coefficients alternate in sign and shrink, so the series is stopped once both
    /// terms are below e⁻³⁷ (under half an ulp of A_α ≥ 1), which then bounds what is left out.
    /// </summary>
    static double LogAFractionalOrder(double q, double sigma, double alpha)
    {
        double logQ = Math.Log(q), log1MinusQ = LogSpace.Log1P(-q);
        double z0 = sigma * sigma * (log1MinusQ - logQ) + 0.5;
        double twoSigmaSquared = 2 * sigma * sigma, sqrt2Sigma = Math.Sqrt(2) * sigma, logHalf = Math.Log(0.5);
        double below = double.NegativeInfinity, above = double.NegativeInfinity;
        double logBinomial = 0;
        bool positive = true;
        for (int i = 0; ; i++)
        {
            if (i > 0)
            {
                double factor = alpha - i + 1;
                logBinomial += Math.Log(Math.Abs(factor)) - Math.Log(i);
                if (factor < 0) positive = !positive;
            }
            double j = alpha - i;
            double termBelow = logBinomial + i * logQ + j * log1MinusQ + (i * (double)i - i) / twoSigmaSquared
                + logHalf + ErrorFunction.LogErfc((i - z0) / sqrt2Sigma);
            double termAbove = logBinomial + j * logQ + i * log1MinusQ + (j * j - j) / twoSigmaSquared
                + logHalf + ErrorFunction.LogErfc((z0 - j) / sqrt2Sigma);
            below = positive ? LogSpace.Add(below, termBelow) : LogSpace.Subtract(below, termBelow);
            above = positive ? LogSpace.Add(above, termAbove) : LogSpace.Subtract(above, termAbove);
            if (i > alpha && Math.Max(termBelow, termAbove) < -37) return LogSpace.Add(below, above);
        }
    }
}
