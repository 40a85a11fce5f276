using FedPrompt.Formats.Settings;
using FedPrompt.Model;
using FedPrompt.Testing;
using static TorchSharp.torch;

namespace FedPrompt.Tuning.Tests.Tuning;

/// <summary>FedProx's proximal term μ/2·‖w − w_global‖² (Li et al. 2020) on the site's prompt encoder.</summary>
public class FedProxTests
{
    static TuningSession Session(TemporaryDirectory folder, LanguageModel model, double mu)
    {
        var train = SyntheticTask.Write(folder, "train.jsonl", 48, seed: 1);
        var validation = SyntheticTask.Write(folder, "val.jsonl", 16, seed: 2);
        return TuningSession.Create(model, new TuningSettings
        {
            Template = TaskTemplate.FinancialPhraseBank with
            {
                PromptTemplate = "<|VIRTUAL_PROMPT_0|> {sentence}{label}", AddEos = false, TotalVirtualTokens = 4, VirtualTokenSplits = [4],
            },
            Encoder = new PromptEncoderSettings { Type = PromptEncoderType.Deep, VirtualTokens = 4, HiddenSize = 32, InitText = "" },
            Training = new TrainingOptions { LearningRate = 0.1, WarmupSteps = 1, MaxSteps = 100, GlobalBatchSize = 8, MicroBatchSize = 8, ProximalMu = mu },
        }, train, validation);
    }

    static double DistanceFrom(TuningSession session, IReadOnlyList<Tensor> anchor) =>
        Math.Sqrt(session.Model.Encoder.parameters().Zip(anchor).Sum(p => (p.First - p.Second).pow(2).sum().item<float>()));

    [Fact]
    public void TheProximalGradientIsMuTimesTheDistanceFromTheAnchor()
    {
        using var folder = new TemporaryDirectory();
        using var model = LanguageModel.Load(RepositoryFiles.Engine("tiny-gpt2"));
        var session = Session(folder, model, mu: 0.5);
        session.Trainer.AnchorAtCurrentWeights();
        var weights = session.Model.Encoder.parameters().ToList();
        using (no_grad())
            foreach (var weight in weights) weight.add_(0.1);
        foreach (var weight in weights) (weight.sum() * 0).backward();

        session.Trainer.AddProximalGradient();

        // ∂/∂w μ/2·‖w − a‖² = μ·(w − a) = 0.5 · 0.1 in every coordinate.
        foreach (var weight in weights)
            Assert.True(weight.grad!.allclose(full_like(weight, 0.05), rtol: 1e-5, atol: 1e-7), $"{weight.name}: not 0.05 everywhere");
    }

    [Fact]
    public void ALargeMuKeepsTheSiteNearTheGlobalModelAndNoAnchorMeansNoTerm()
    {
        using var folder = new TemporaryDirectory();
        using var model = LanguageModel.Load(RepositoryFiles.Engine("tiny-gpt2"));
        double Drift(double mu, bool anchored)
        {
            var session = Session(folder, model, mu);
            var start = session.Model.Encoder.parameters().Select(p => p.detach().clone()).ToList();
            if (anchored) session.Trainer.AnchorAtCurrentWeights();
            for (int epoch = 0; epoch < 3; epoch++) session.TrainEpoch();
            return DistanceFrom(session, start);
        }

        double free = Drift(0, anchored: true), held = Drift(100, anchored: true);
        Assert.True(held < 0.5 * free, $"μ = 100 drifted {held:F4} from the global model, μ = 0 {free:F4}");
        // Local training (no round, so no anchor) is FedAvg's, whatever μ says.
        Assert.Equal(free, Drift(100, anchored: false), 6);
    }
}
