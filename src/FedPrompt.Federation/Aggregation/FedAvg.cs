using FedPrompt.Federation.Models;
using FedPrompt.Formats.Checkpoints;

namespace FedPrompt.Federation.Aggregation;

/// <summary>
/// FedAvg as the reference runs it: the sites' weight differences averaged with weights equal to
/// their local optimizer steps, added to the global model. Sums are kept in float64, so the order in
/// which sites report does not change the result (up to float64 rounding, far below fp32's).
/// </summary>
public sealed class FedAvg : IAggregationStrategy
{
    public IRoundAggregation BeginRound(ModelState global, string jobId, int round) => new Round(global);

    sealed class Round(ModelState global) : IRoundAggregation
    {
        readonly double[][] _sums = global.Tensors.Select(t => new double[t.Values.Length]).ToArray();
        readonly TensorScratch _scratch = new();
        double _weight;

        public int Count { get; private set; }

        public IReadOnlyDictionary<string, double> Metrics => new Dictionary<string, double>();

        public void Add(ITensorSource difference, double weight)
        {
            if (!(weight > 0)) throw new ArgumentException($"an update's weight must be positive (got {weight})");
            for (int i = 0; i < global.Tensors.Count; i++)
            {
                var values = _scratch.Read(difference.Tensors[global.Tensors[i].Name]);
                var sum = _sums[i];
                for (int j = 0; j < values.Length; j++) sum[j] += weight * values[j];
            }
            _weight += weight;
            Count++;
        }

        public ModelState Finish()
        {
            if (Count == 0) return global.Clone();
            return global.Plus(_sums.Select(sum => sum.Select(s => s / _weight).ToArray()).ToList());
        }
    }
}
