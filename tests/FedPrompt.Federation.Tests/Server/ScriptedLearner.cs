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
    /// <summary>Every value of each update (local − global).</summary>
    public float Update { get; init; }

    public static IReadOnlyList<string> Answers { get; } = [" negative", " positive"];

    public (SiteInfo Info, ModelState InitialEncoder) Configure(string jobId, string configJson) =>
        (new SiteInfo(new BaseModelIdentity("scripted", "0123456789abcdef"), Answers, 16, 8), Encoder);

    public TrainOutcome Train(string jobId, int round, ModelState global, CancellationToken cancel) =>
        TrainingError is { } error ? throw new InvalidOperationException(error)
            : new TrainOutcome(Filled(Update), Steps, new Dictionary<string, double> { ["validation_loss"] = 1.0 });

    public Dictionary<string, double> Validate(string jobId, ModelState global) =>
        ValidationError is { } error ? throw new InvalidOperationException(error) : new() { ["validation_loss"] = 1.0 };

    /// <summary>The encoder's one tensor with every value <paramref name="value"/>.</summary>
    public static ModelState Filled(float value) => new([Encoder.Tensors[0] with { Values = Enumerable.Repeat(value, 64).ToArray() }]);
}
