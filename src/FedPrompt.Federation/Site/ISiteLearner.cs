using FedPrompt.Federation.Models;
using FedPrompt.Federation.Wire;

namespace FedPrompt.Federation.Site;

/// <summary>A site's training logic as the executor drives it; SiteLearner (FedPrompt.Federation.Site, which runs the model) p-tunes, a
/// benchmark's stand-in only produces updates of the right shape.</summary>
public interface ISiteLearner
{
    string Site { get; }

    /// <summary>Sets up for a job; returns the site's facts and its initial encoder.</summary>
    (SiteInfo Info, ModelState InitialEncoder) Configure(string jobId, string configJson);

    /// <summary>Validates and trains the global model; returns the weight difference, steps and metrics.</summary>
    TrainOutcome Train(string jobId, int round, ModelState global, CancellationToken cancel);

    Dictionary<string, double> Validate(string jobId, ModelState global);
}
