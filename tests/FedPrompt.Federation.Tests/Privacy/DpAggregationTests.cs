using FedPrompt.Federation.Models;
using FedPrompt.Federation.Privacy;

namespace FedPrompt.Federation.Tests.Privacy;

public sealed class DpAggregationTests
{
    static readonly PrivacySettings Central = new() { Mode = PrivacyMode.Central, ClipNorm = 1, NoiseMultiplier = 0.8 };

    static ModelState Aggregate(ModelState global, IEnumerable<ModelState> updates, PrivacySettings settings, GaussianNoise noise, out List<ClipResult> clips, out int clipped)
    {
        var round = new DpAggregation(global, settings, noise);
        clips = [];
        int site = 0;
        foreach (var update in updates)
        {
            using var received = RandomUpdates.AsReceived(update, $"site-{++site}");
            clips.Add(round.Add(received));
        }
        clipped = round.ClippedCount;
        Assert.Equal(clips.Count, round.Count);
        return round.Finish();
    }

    [Fact]
    public void TheNextGlobalIsTheEqualWeightMeanOfClippedUpdatesPlusNoiseOnTheSumOverN()
    {
        var global = RandomUpdates.WithNorm(3, seed: 100);
        double[] norms = [0.3, 0.9, 2.5, 7];
        var updates = norms.Select((norm, i) => RandomUpdates.WithNorm(norm, seed: i)).ToList();

        using var noise = NoiseKey.FromSeed(9).Stream("job", 4, "server");
        var next = Aggregate(global, updates, Central, noise, out var clips, out int clipped);

        Assert.Equal(2, clipped);
        Assert.Equal(norms, clips.Select(c => c.Norm), (a, b) => Math.Abs(a - b) < 1e-6);
        // Expected, computed separately: clip with the library's clipper, average with weight 1, and
        // add σ = zC times the same stream's draws, divided by n.
        var clippedUpdates = updates.Select(u => u.Clone()).ToList();
        foreach (var update in clippedUpdates) UpdateClipper.Clip(update, Central.ClipNorm);
        using var sameNoise = NoiseKey.FromSeed(9).Stream("job", 4, "server");
        for (int t = 0; t < global.Tensors.Count; t++)
        {
            var draws = new double[global.Tensors[t].Values.Length];
            sameNoise.AddTo(draws, Central.NoiseStandardDeviation);
            for (int j = 0; j < draws.Length; j++)
            {
                double mean = clippedUpdates.Sum(u => (double)u.Tensors[t].Values[j]) / updates.Count;
                double expected = global.Tensors[t].Values[j] + mean + draws[j] / updates.Count;
                Assert.Equal(expected, next.Tensors[t].Values[j], 5e-6);
            }
        }
    }

    [Fact]
    public void EveryUpdateCountsOnceWhateverTheArrivalOrderAndMovesTheSumByAtMostC()
    {
        var global = RandomUpdates.Zeros();
        var updates = Enumerable.Range(0, 5).Select(i => RandomUpdates.WithNorm(0.5 + i, seed: 10 + i)).ToList();
        var noiseless = Central with { NoiseMultiplier = 0 };
        using var unused = NoiseKey.FromSeed(1).Stream("job", 0, "server");

        var forward = Aggregate(global, updates, noiseless, unused, out _, out _);
        var backward = Aggregate(global, Enumerable.Reverse(updates), noiseless, unused, out _, out _);

        for (int t = 0; t < global.Tensors.Count; t++)
            Assert.Equal(forward.Tensors[t].Values, backward.Tensors[t].Values);
        // Each update moves the mean by at most C / n, whatever its size: the sensitivity bound.
        var withoutLast = Aggregate(global, updates.Take(4), noiseless, unused, out _, out _);
        double shift = Math.Sqrt(forward.Tensors.Zip(withoutLast.Tensors)
            .Sum(p => p.First.Values.Zip(p.Second.Values).Sum(v => Math.Pow((double)v.First * 5 - (double)v.Second * 4, 2))));
        Assert.True(shift <= Central.ClipNorm * (1 + 1e-5), $"one site moved the sum by {shift}");
    }

    [Fact]
    public void ARoundWithoutUpdatesReleasesTheGlobalUnchanged()
    {
        var global = RandomUpdates.WithNorm(1, seed: 2);
        using var noise = NoiseKey.FromSeed(1).Stream("job", 0, "server");

        var next = Aggregate(global, [], Central, noise, out _, out _);

        Assert.All(next.Tensors.Zip(global.Tensors), p => Assert.Equal(p.Second.Values, p.First.Values));
    }

    [Fact]
    public void ARoundFinishesOnceSoItsNoiseIsNotAddedTwice()
    {
        using var noise = NoiseKey.FromSeed(1).Stream("job", 0, "server");
        var round = new DpAggregation(RandomUpdates.Zeros(), Central, noise);
        using (var update = RandomUpdates.AsReceived(RandomUpdates.WithNorm(2, seed: 1), "site-1")) round.Add(update);
        round.Finish();

        Assert.Throws<InvalidOperationException>(() => round.Finish());
        using var late = RandomUpdates.AsReceived(RandomUpdates.WithNorm(2, seed: 2), "site-2");
        Assert.Throws<InvalidOperationException>(() => round.Add(late));
    }

    [Fact]
    public void LocalModeSettingsAreRefused()
    {
        using var noise = NoiseKey.FromSeed(1).Stream("job", 0, "server");
        var error = Assert.Throws<ArgumentException>(() => new DpAggregation(RandomUpdates.Zeros(), Central with { Mode = PrivacyMode.Local }, noise));
        Assert.Contains("local mode", error.Message, StringComparison.OrdinalIgnoreCase);
    }
}
