using System.Runtime.InteropServices;
using FedPrompt.Federation.Models;
using FedPrompt.Formats.Checkpoints;

namespace FedPrompt.Federation.Aggregation;

/// <summary>
/// A round whose strategy needs every update at once (a median cannot be folded in one at a time):
/// the updates are held until the round closes, one encoder's memory per site. Robust strategies
/// ignore the sites' weights: a site's claimed step count must not buy it influence.
/// </summary>
public abstract class HeldRound(ModelState global) : IRoundAggregation
{
    protected ModelState Global { get; } = global;

    /// <summary>Each update's tensors in the global model's order.</summary>
    protected List<float[][]> Updates { get; } = [];

    public int Count => Updates.Count;

    public virtual IReadOnlyDictionary<string, double> Metrics => new Dictionary<string, double>();

    public void Add(ITensorSource difference, double weight)
    {
        if (!(weight > 0)) throw new ArgumentException($"an update's weight must be positive (got {weight})");
        Updates.Add(Global.Tensors.Select(t =>
        {
            var values = new float[t.Values.Length];
            difference.Tensors[t.Name].ReadInto(MemoryMarshal.AsBytes(values.AsSpan()));
            return values;
        }).ToArray());
    }

    public ModelState Finish() => Count == 0 ? Global.Clone() : Global.Plus(Combine());

    /// <summary>The round's combined update, tensor by tensor in the global model's order.</summary>
    protected abstract IReadOnlyList<double[]> Combine();

    /// <summary>Each coordinate's values across the updates, sorted, reduced to one value.</summary>
    protected IReadOnlyList<double[]> CoordinateWise(Func<double[], double> reduce)
    {
        var column = new double[Count];
        return Global.Tensors.Select((tensor, t) =>
        {
            var combined = new double[tensor.Values.Length];
            for (int j = 0; j < combined.Length; j++)
            {
                for (int u = 0; u < Count; u++) column[u] = Updates[u][t][j];
                Array.Sort(column);
                combined[j] = reduce(column);
            }
            return combined;
        }).ToList();
    }
}
