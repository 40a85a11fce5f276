using FedPrompt.Federation.Models;

namespace FedPrompt.Federation.Aggregation;

/// <summary>
/// Coordinate-wise trimmed mean (Yin et al. 2018): for every weight the <c>byzantine</c> largest and
/// smallest differences are dropped and the rest averaged. With fewer than 2·byzantine + 1 updates
/// in a round it trims as many as still leaves one.
/// </summary>
public sealed class TrimmedMean(int byzantine) : IAggregationStrategy
{
    public IRoundAggregation BeginRound(ModelState global, string jobId, int round) => new Round(global, byzantine);

    sealed class Round(ModelState global, int byzantine) : HeldRound(global)
    {
        int Trimmed => Math.Min(byzantine, (Count - 1) / 2);

        public override IReadOnlyDictionary<string, double> Metrics => new Dictionary<string, double> { ["trimmed_per_side"] = Trimmed };

        protected override IReadOnlyList<double[]> Combine()
        {
            int trim = Trimmed;
            return CoordinateWise(sorted =>
            {
                double sum = 0;
                for (int i = trim; i < sorted.Length - trim; i++) sum += sorted[i];
                return sum / (sorted.Length - 2 * trim);
            });
        }
    }
}
