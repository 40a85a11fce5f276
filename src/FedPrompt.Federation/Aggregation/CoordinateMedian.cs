using FedPrompt.Federation.Models;

namespace FedPrompt.Federation.Aggregation;

/// <summary>
/// Coordinate-wise median (Yin et al. 2018, "Byzantine-robust distributed learning"): every weight of
/// the next global model moves by the median of the sites' differences for that weight. A minority
/// of sites, whatever they send, cannot move a coordinate beyond the honest sites' range.
/// </summary>
public sealed class CoordinateMedian : IAggregationStrategy
{
    public IRoundAggregation BeginRound(ModelState global, string jobId, int round) => new Round(global);

    sealed class Round(ModelState global) : HeldRound(global)
    {
        protected override IReadOnlyList<double[]> Combine() => CoordinateWise(Median.OfSorted);
    }
}
