using FedPrompt.Federation.Models;
using FedPrompt.Formats.Checkpoints;

namespace FedPrompt.Federation.Aggregation;

/// <summary>
/// Bounds every update by the round's others before another strategy averages them: an update whose
/// L2 norm exceeds <c>multiple</c> × the median norm of the round's updates is scaled down to that
/// bound. One site sending finite but huge values (3e38) can then move the global model no further
/// than an honest site could; with three or more sites the median is an honest one's as long as most
/// are honest. The round's updates are held until it closes (memory: one encoder per site).
/// </summary>
public sealed class NormBounded(IAggregationStrategy inner, double multiple) : IAggregationStrategy
{
    public IRoundAggregation BeginRound(ModelState global, string jobId, int round) => new Round(inner.BeginRound(global, jobId, round), multiple);

    sealed class Round(IRoundAggregation inner, double multiple) : IRoundAggregation
    {
        readonly List<(ModelState Update, double Weight, double Norm)> _held = [];
        int _clipped;
        double _bound = double.NaN;

        public int Count => _held.Count;

        public IReadOnlyDictionary<string, double> Metrics => new Dictionary<string, double>(inner.Metrics)
        {
            ["updates_norm_bounded"] = _clipped,
            ["update_norm_bound"] = _bound,
        };

        public void Add(ITensorSource difference, double weight)
        {
            var update = ModelState.Read(difference);
            // In float64: the squares of fp32 values near 3e38 overflow fp32.
            double norm = Math.Sqrt(update.Tensors.Sum(t => t.Values.Sum(v => (double)v * v)));
            _held.Add((update, weight, norm));
        }

        public ModelState Finish()
        {
            if (_held.Count > 0) _bound = multiple * Median.Of(_held.Select(h => h.Norm));
            foreach (var (update, weight, norm) in _held)
            {
                if (norm > _bound)
                {
                    _clipped++;
                    var scale = _bound / norm;
                    foreach (var tensor in update.Tensors)
                        for (int i = 0; i < tensor.Values.Length; i++) tensor.Values[i] = (float)(tensor.Values[i] * scale);
                }
                using var source = new ModelStateSource(update, "a bounded update");
                inner.Add(source, weight);
            }
            return inner.Finish();
        }
    }
}
