using FedPrompt.Federation.Models;
using FedPrompt.Federation.Site;
using FedPrompt.Federation.Wire;
using FedPrompt.Formats.Artefacts;

namespace FedPrompt.Federation.Tests.Server;

/// <summary>A site without a model: it sets up at once with a one-tensor encoder and trains or
/// validates as told — an update of zeros, or the exception a real site's task would throw.</summary>
public sealed class ScriptedLearner(string site) : ISiteLearner
{
    static readonly ModelState Encoder = new([new NamedTensor("embedding.weight", [4, 16], new float[64])]);

    public string Site => site;
    /// <summary>When set, every train task throws with this message.</summary>
    public string? TrainingError { get; init; }
    /// <summary>When set, every validate task throws with this message.</summary>
    public string? ValidationError { get; init; }
    /// <summary>The optimizer steps each update reports (0 has the server reject it).</summary>
    public long Steps { get; init; } = 1;

    public (SiteInfo Info, ModelState InitialEncoder) Configure(string jobId, string configJson) =>
        (new SiteInfo(new BaseModelIdentity("scripted", "0123456789abcdef"), [" negative", " positive"], 16, 8), Encoder);

    public TrainOutcome Train(string jobId, int round, ModelState global, CancellationToken cancel) =>
        TrainingError is { } error ? throw new InvalidOperationException(error)
            : new TrainOutcome(Encoder.Clone(), Steps, new Dictionary<string, double> { ["validation_loss"] = 1.0 });

    public Dictionary<string, double> Validate(string jobId, ModelState global) =>
        ValidationError is { } error ? throw new InvalidOperationException(error) : new() { ["validation_loss"] = 1.0 };
}
