namespace FedPrompt.Federation.Aggregation;

/// <summary>
/// The adaptive rules of Reddi et al. 2021: m ← β₁·m + (1 − β₁)·Δ, v by the subclass's rule from Δ²,
/// x ← x + η·m / (√v + τ), with v₋₁ = τ² and, as in the paper, no bias correction.
/// </summary>
public abstract class AdaptiveServerOptimizer(string jobFolder, double learningRate, double beta1, double tau) : ServerOptimizer(jobFolder)
{
    protected override float InitialV => (float)(tau * tau);

    /// <summary>The next v from the previous one and the squared pseudo-gradient.</summary>
    protected abstract double NextV(double v, double squared);

    protected override double Step(double x, double delta, ref float m, ref float v)
    {
        m = (float)(beta1 * m + (1 - beta1) * delta);
        v = (float)NextV(v, delta * delta);
        return x + learningRate * m / (Math.Sqrt(v) + tau);
    }
}

/// <summary>FedAdagrad: v ← v + Δ².</summary>
public sealed class FedAdagrad(string jobFolder, double learningRate, double beta1, double tau)
    : AdaptiveServerOptimizer(jobFolder, learningRate, beta1, tau)
{
    protected override double NextV(double v, double squared) => v + squared;
}

/// <summary>FedAdam: v ← β₂·v + (1 − β₂)·Δ².</summary>
public sealed class FedAdam(string jobFolder, double learningRate, double beta1, double beta2, double tau)
    : AdaptiveServerOptimizer(jobFolder, learningRate, beta1, tau)
{
    protected override double NextV(double v, double squared) => beta2 * v + (1 - beta2) * squared;
}

/// <summary>FedYogi: v ← v − (1 − β₂)·Δ²·sign(v − Δ²), which grows v only as fast as Δ² does.</summary>
public sealed class FedYogi(string jobFolder, double learningRate, double beta1, double beta2, double tau)
    : AdaptiveServerOptimizer(jobFolder, learningRate, beta1, tau)
{
    protected override double NextV(double v, double squared) => v - (1 - beta2) * squared * Math.Sign(v - squared);
}
