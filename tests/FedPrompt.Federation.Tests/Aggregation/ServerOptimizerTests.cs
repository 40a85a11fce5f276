using FedPrompt.Federation.Aggregation;
using FedPrompt.Federation.Models;
using FedPrompt.Testing;

namespace FedPrompt.Federation.Tests.Aggregation;

/// <summary>Each server optimizer against Reddi et al. 2021's formulas worked by hand: one weight
/// at 1, a pseudo-gradient Δ = 0.5 every round, η = 0.1, β₁ = 0.9, β₂ = 0.99, τ = 1e-3 (v₋₁ = τ²);
/// FedAvgM with η = 1, β = 0.9.</summary>
public class ServerOptimizerTests
{
    static ModelState Weight(float value) => new([new NamedTensor("w", [1], [value])]);

    static ModelState Round(IAggregationStrategy strategy, ModelState global, int round)
    {
        var aggregation = strategy.BeginRound(global, "job", round);
        // Two sites whose step-weighted mean difference is 0.5: FedAvg first, then the optimizer.
        using (var first = new ModelStateSource(Weight(0.2f), "site-1")) aggregation.Add(first, 1);
        using (var second = new ModelStateSource(Weight(0.6f), "site-2")) aggregation.Add(second, 3);
        return aggregation.Finish();
    }

    public static TheoryData<string, double, double> Rules => new()
    {
        // m = 0.5, x = 1 + 0.5; then m = 0.9·0.5 + 0.5 = 0.95, x = 1.5 + 0.95.
        { "fedavgm", 1.5, 2.45 },
        // m = 0.05, v = τ² + 0.25, x = 1 + 0.1·0.05 / (√v + τ); then m = 0.095, v = τ² + 0.5.
        { "fedadagrad", 1.0099800, 1.0233960 },
        // v = 0.99·τ² + 0.01·0.25 = 0.00250099: x = 1 + 0.005 / 0.0510099; then v = 0.00497598.
        { "fedadam", 1.0980202, 1.2308118 },
        // v = τ² − 0.01·0.25·sign(τ² − 0.25) = 0.002501; then v = 0.002501 + 0.0025.
        { "fedyogi", 1.0980200, 1.2304837 },
    };

    static IAggregationStrategy Make(string rule, string folder) => rule switch
    {
        "fedavgm" => new FedAvgM(folder, learningRate: 1, momentum: 0.9),
        "fedadagrad" => new FedAdagrad(folder, learningRate: 0.1, beta1: 0.9, tau: 1e-3),
        "fedadam" => new FedAdam(folder, learningRate: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-3),
        _ => new FedYogi(folder, learningRate: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-3),
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void TwoRoundsFollowThePublishedUpdate(string rule, double afterRound0, double afterRound1)
    {
        using var folder = new TemporaryDirectory();
        var strategy = Make(rule, folder.Path);
        var x1 = Round(strategy, Weight(1), 0);
        Assert.Equal(afterRound0, x1.Tensors[0].Values[0], 1e-6);
        var x2 = Round(strategy, x1, 1);
        Assert.Equal(afterRound1, x2.Tensors[0].Values[0], 1e-6);
    }

    [Theory]
    [InlineData("fedavgm")]
    [InlineData("fedadagrad")]
    [InlineData("fedadam")]
    [InlineData("fedyogi")]
    public void AServerRestartedOrRedoingARoundGoesOnExactly(string rule)
    {
        using var uninterrupted = new TemporaryDirectory();
        using var restarted = new TemporaryDirectory();
        var straight = Make(rule, uninterrupted.Path);
        var expected = new List<float>();
        var x = Weight(1);
        for (int round = 0; round < 3; round++) expected.Add((x = Round(straight, x, round)).Tensors[0].Values[0]);

        // Rounds 0 and 1 by one server; round 1 again by a second (a crash before its commit), round 2 by a third.
        var first = Make(rule, restarted.Path);
        var x1 = Round(first, Weight(1), 0);
        Round(first, x1, 1);
        var redone = Round(Make(rule, restarted.Path), x1, 1);
        var last = Round(Make(rule, restarted.Path), redone, 2);

        Assert.Equal(expected[1], redone.Tensors[0].Values[0]);
        Assert.Equal(expected[2], last.Tensors[0].Values[0]);
    }

    [Fact]
    public void AMissingStateIsAnErrorNamingTheFile()
    {
        using var folder = new TemporaryDirectory();
        var error = Assert.Throws<InvalidDataException>(() => Round(Make("fedadam", folder.Path), Weight(1), 3));
        Assert.Contains("the server optimizer's state after round 2", error.Message);
        Assert.Contains("r2.safetensors", error.Message);
    }
}
