namespace FedPrompt.Model.Training;

/// <summary>
/// NeMo's CosineAnnealing with warmup: lr·(step+1)/(warmup+1) while warming up, then a half cosine
/// from lr down to the minimum at <see cref="MaxSteps"/>, and the minimum after that.
/// </summary>
public sealed record WarmupCosineSchedule(double LearningRate, int WarmupSteps, int MaxSteps, double MinLearningRate = 0)
{
    public double At(int step)
    {
        if (step < WarmupSteps) return LearningRate * (step + 1) / (WarmupSteps + 1);
        if (step >= MaxSteps) return MinLearningRate;
        double progress = (double)(step - WarmupSteps) / Math.Max(1, MaxSteps - WarmupSteps);
        return MinLearningRate + (LearningRate - MinLearningRate) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
