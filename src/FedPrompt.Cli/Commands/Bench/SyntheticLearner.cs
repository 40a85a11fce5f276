using FedPrompt.Federation.Models;
using FedPrompt.Federation.Site;
using FedPrompt.Federation.Wire;
using FedPrompt.Formats.Artefacts;

namespace FedPrompt.Cli.Commands.Bench;

/// <summary>A site that does no learning: it answers every task at once with an update of the
/// prompt encoder's shape, so a benchmark measures the federation machinery alone.</summary>
public sealed class SyntheticLearner : ISiteLearner
{
    readonly ModelState _initial;
    readonly ModelState _difference;

    public SyntheticLearner(string site, ModelState shape, int seed)
    {
        Site = site;
        _initial = shape;
        var random = new Random(seed);
        _difference = new ModelState(shape.Tensors.Select(t => t with { Values = t.Values.Select(_ => (float)(random.NextDouble() - 0.5) * 1e-3f).ToArray() }).ToList());
    }

    public string Site { get; }

    /// <summary>NeMo's mlp prompt encoder at a model width: Embedding(10, d), Linear(d, 2048), Linear(2048, d).</summary>
    public static ModelState MlpEncoderShape(int hidden, int virtualTokens = 10, int width = 2048) => new(
    [
        new NamedTensor("embedding.weight", [virtualTokens, hidden], new float[virtualTokens * hidden]),
        new NamedTensor("mlp_head.0.weight", [width, hidden], new float[width * hidden]),
        new NamedTensor("mlp_head.0.bias", [width], new float[width]),
        new NamedTensor("mlp_head.2.weight", [hidden, width], new float[hidden * width]),
        new NamedTensor("mlp_head.2.bias", [hidden], new float[hidden]),
    ]);

    public (SiteInfo Info, ModelState InitialEncoder) Configure(string jobId, string configJson) =>
        (new SiteInfo(new BaseModelIdentity("synthetic", "0000000000000000"), [" negative", " neutral", " positive"], 604, 226), _initial);

    public TrainOutcome Train(string jobId, int round, ModelState global, CancellationToken cancel) =>
        new(_difference, 9, new Dictionary<string, double> { ["validation_loss"] = 1.0 });

    public Dictionary<string, double> Validate(string jobId, ModelState global) => new() { ["validation_loss"] = 1.0 };
}
