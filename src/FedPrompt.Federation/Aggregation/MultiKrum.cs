using FedPrompt.Federation.Models;

namespace FedPrompt.Federation.Aggregation;

/// <summary>
/// Multi-Krum (Blanchard et al. 2017, "Machine learning with adversaries"): each update is scored by
/// the summed squared distances to its n − f − 2 nearest others; the n − f best-scored updates are
/// averaged. An update far from the crowd (a dishonest site's) scores worst and is left out whole,
/// not just trimmed per coordinate. Needs n ≥ 2f + 3 updates; a round with fewer averages them all.
/// </summary>
public sealed class MultiKrum(int byzantine) : IAggregationStrategy
{
    public IRoundAggregation BeginRound(ModelState global, string jobId, int round) => new Round(global, byzantine);

    sealed class Round(ModelState global, int byzantine) : HeldRound(global)
    {
        int _excluded;

        public override IReadOnlyDictionary<string, double> Metrics => new Dictionary<string, double> { ["updates_excluded"] = _excluded };

        protected override IReadOnlyList<double[]> Combine()
        {
            int n = Count, f = n >= 2 * byzantine + 3 ? byzantine : 0;
            var distances = new double[n, n];
            for (int a = 0; a < n; a++)
                for (int b = a + 1; b < n; b++)
                    distances[a, b] = distances[b, a] = SquaredDistance(Updates[a], Updates[b]);
            var scores = Enumerable.Range(0, n)
                .Select(a => Enumerable.Range(0, n).Where(b => b != a).Select(b => distances[a, b]).Order().Take(n - f - 2).Sum())
                .ToArray();
            var chosen = Enumerable.Range(0, n).OrderBy(a => scores[a]).ThenBy(a => a).Take(n - f).ToList();
            _excluded = n - chosen.Count;
            return Global.Tensors.Select((tensor, t) =>
            {
                var mean = new double[tensor.Values.Length];
                foreach (var u in chosen)
                    for (int j = 0; j < mean.Length; j++) mean[j] += Updates[u][t][j];
                for (int j = 0; j < mean.Length; j++) mean[j] /= chosen.Count;
                return mean;
            }).ToList();
        }

        static double SquaredDistance(float[][] a, float[][] b)
        {
            double sum = 0;
            for (int t = 0; t < a.Length; t++)
            {
                var (x, y) = (a[t], b[t]);
                for (int j = 0; j < x.Length; j++) sum += ((double)x[j] - y[j]) * ((double)x[j] - y[j]);
            }
            return sum;
        }
    }
}
