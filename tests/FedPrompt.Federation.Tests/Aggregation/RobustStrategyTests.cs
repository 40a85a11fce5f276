using FedPrompt.Federation.Aggregation;
using FedPrompt.Federation.Models;

namespace FedPrompt.Federation.Tests.Aggregation;

/// <summary>Each robust strategy against numbers worked by hand, with one site's update far from the others'.</summary>
public class RobustStrategyTests
{
    static ModelState State(params float[] values) => new([new NamedTensor("w", [values.Length], values)]);

    static float[] Aggregate(IAggregationStrategy strategy, ModelState global, params (float[] Update, double Weight)[] updates)
    {
        var round = strategy.BeginRound(global, "job", 0);
        foreach (var (update, weight) in updates)
        {
            using var source = new ModelStateSource(State(update), "an update");
            round.Add(source, weight);
        }
        return round.Finish().Tensors[0].Values;
    }

    [Fact]
    public void TheMedianMovesEachWeightByTheMiddleUpdateWhateverTheOutlierClaims()
    {
        // Per coordinate: {1, 2, 100} → 2, {2, 0, -50} → 0, {3, 9, 4} → 4; the outlier's claimed weight buys nothing.
        var next = Aggregate(new CoordinateMedian(), State(10, 10, 10), ([1, 2, 3], 1), ([2, 0, 9], 1), ([100, -50, 4], 1e9));
        Assert.Equal([12f, 10f, 14f], next);
        // An even count takes the mean of the middle two: {1, 2, 3, 100} → 2.5, {-50, 0, 1, 2} → 0.5, {3, 4, 5, 9} → 4.5.
        next = Aggregate(new CoordinateMedian(), State(0, 0, 0), ([1, 2, 3], 1), ([2, 0, 9], 1), ([100, -50, 4], 1), ([3, 1, 5], 1));
        Assert.Equal([2.5f, 0.5f, 4.5f], next);
    }

    [Fact]
    public void TheTrimmedMeanDropsTheExtremesOfEachWeight()
    {
        // Trimming one each side of {1, 2, 3, 100}, {-50, 0, 1, 2}, {3, 4, 5, 9}; the rest averaged.
        var next = Aggregate(new TrimmedMean(1), State(0, 0, 0), ([1, 2, 3], 1), ([2, 0, 9], 1), ([100, -50, 4], 1), ([3, 1, 5], 1));
        Assert.Equal([2.5f, 0.5f, 4.5f], next);
        // Five updates, one trimmed each side: {0, 1, 2, 3, 100} → (1 + 2 + 3) / 3.
        next = Aggregate(new TrimmedMean(1), State(0), ([0], 1), ([1], 1), ([2], 1), ([3], 1), ([100], 1));
        Assert.Equal([2f], next);
        // Two updates cannot lose one each side: both are averaged.
        next = Aggregate(new TrimmedMean(1), State(0), ([1], 1), ([3], 1));
        Assert.Equal([2f], next);
    }

    [Fact]
    public void MultiKrumLeavesOutTheUpdateFarthestFromTheOthers()
    {
        // n = 5, f = 1: each update's score sums its n − f − 2 = 2 smallest squared distances. The four
        // honest corners of the unit square score 1 + 1 = 2; (10, 10) scores 162 + 181 = 343 and is left
        // out; the other four are averaged: (0.5, 0.5).
        var strategy = new MultiKrum(1);
        var round = strategy.BeginRound(State(0, 0), "job", 0);
        foreach (var update in new[] { new float[] { 1, 0 }, [0, 1], [1, 1], [0, 0], [10, 10] })
        {
            using var source = new ModelStateSource(State(update), "an update");
            round.Add(source, 1);
        }
        Assert.Equal([0.5f, 0.5f], round.Finish().Tensors[0].Values);
        Assert.Equal(1, round.Metrics["updates_excluded"]);
    }

    [Fact]
    public void UpdatesAreMatchedToTheGlobalModelByNameNotByOrder()
    {
        var global = new ModelState([new NamedTensor("a", [1], [0]), new NamedTensor("b", [1], [0])]);
        var round = new CoordinateMedian().BeginRound(global, "job", 0);
        using var reversed = new ModelStateSource(new ModelState([new NamedTensor("b", [1], [2]), new NamedTensor("a", [1], [1])]), "an update");
        round.Add(reversed, 1);
        var next = round.Finish();
        Assert.Equal([1f], next.Tensors.Single(t => t.Name == "a").Values);
        Assert.Equal([2f], next.Tensors.Single(t => t.Name == "b").Values);
    }
}
