using FedPrompt.Federation.Models;
using FedPrompt.Federation.Privacy;
using FedPrompt.Formats.Checkpoints;

namespace FedPrompt.Federation.Aggregation;

/// <summary>
/// DP-FedAvg with central noise: every update clipped to C, the clipped updates averaged with equal
/// weights — step-count weights would change how far one site can move the model, which the noise
/// is sized against — and Gaussian noise of σ = z·C added to their sum. The noise is drawn from the
/// server's secret key per round, so a round run again after a restart draws the same noise instead
/// of spending privacy twice.
/// </summary>
public sealed class DpFedAvg(PrivacySettings settings, NoiseKey key) : IAggregationStrategy
{
    public IRoundAggregation BeginRound(ModelState global, string jobId, int round)
    {
        var noise = key.Stream(jobId, round, "server");
        return new Round(new DpAggregation(global, settings, noise), noise);
    }

    sealed class Round(DpAggregation aggregation, GaussianNoise noise) : IRoundAggregation
    {
        public void Add(ITensorSource difference, double weight) => aggregation.Add(difference);

        public int Count => aggregation.Count;

        public ModelState Finish()
        {
            var next = aggregation.Finish();
            noise.Dispose();
            return next;
        }

        public IReadOnlyDictionary<string, double> Metrics => new Dictionary<string, double>
        {
            ["clipped_updates"] = aggregation.ClippedCount,
            ["updates"] = aggregation.Count,
        };
    }
}
