namespace FedPrompt.Federation.Aggregation;

/// <summary>
/// FedAvgM (Hsu et al. 2019, "Measuring the effects of non-identical data distribution"): server
/// momentum on the pseudo-gradient, m ← β·m + Δ, x ← x + η·m. With η = 1 and β = 0 it is FedAvg.
/// </summary>
public sealed class FedAvgM(string jobFolder, double learningRate, double momentum) : ServerOptimizer(jobFolder)
{
    protected override double Step(double x, double delta, ref float m, ref float v)
    {
        m = (float)(momentum * m + delta);
        return x + learningRate * m;
    }
}
