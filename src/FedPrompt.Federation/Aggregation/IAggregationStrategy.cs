using FedPrompt.Federation.Models;
using FedPrompt.Formats.Checkpoints;

namespace FedPrompt.Federation.Aggregation;

/// <summary>
/// A federated learning algorithm, as one small class (after Flower's Strategy): how a round's
/// accepted updates — weight differences from the round's global model — become the next global
/// model. Updates arrive one at a time and are folded in as they come, so the server holds O(model)
/// memory, not O(sites × model).
/// </summary>
public interface IAggregationStrategy
{
    /// <param name="jobId">With <paramref name="round"/>, names the round (a strategy's randomness is drawn per round).</param>
    IRoundAggregation BeginRound(ModelState global, string jobId, int round);
}

/// <summary>One round's aggregation in progress.</summary>
public interface IRoundAggregation
{
    /// <summary>Folds in one site's difference (already checked for layout and finiteness).</summary>
    void Add(ITensorSource difference, double weight);

    int Count { get; }

    /// <summary>The next global model; the round's global when nothing was added.</summary>
    ModelState Finish();

    /// <summary>What the strategy reports about the round (e.g. how many updates were clipped).</summary>
    IReadOnlyDictionary<string, double> Metrics { get; }
}
