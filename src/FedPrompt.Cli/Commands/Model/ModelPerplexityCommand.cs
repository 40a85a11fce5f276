using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using FedPrompt.Formats.Settings;
using FedPrompt.Model.Pretraining;
using Spectre.Console.Cli;

namespace FedPrompt.Cli.Commands.Model;

/// <summary>The held-out loss of a model on Reuters-21578's held-out articles (the ones pretraining
/// leaves out), per token and in bits per byte, as one JSON object.</summary>
public sealed class ModelPerplexityCommand : Command<ModelPerplexityCommand.Settings>
{
    public sealed class Settings : ModelSettings
    {
        [CommandOption("--corpus <DIR>")] [Description("Reuters-21578 folder (default: the repository's data/reuters21578)")]
        public string? Corpus { get; init; }
        [CommandOption("--held-out-every <N>")] [Description("The held-out articles: those whose NEWID is a multiple of N (default 20, as pretraining)")]
        [Range(2, int.MaxValue)]
        public int HeldOutEvery { get; init; } = new PretrainingOptions().HeldOutEvery;
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var (_, heldOut) = ReutersCorpus.Split(ReutersCorpus.Read(settings.Corpus ?? BundledFiles.Data("reuters21578")), settings.HeldOutEvery);
        using var model = settings.LoadModel();
        var score = HeldOutText.Measure(model, heldOut);
        Console.Out.WriteLine(JsonSerializer.Serialize(new
        {
            model = model.Origin,
            articles = score.Articles,
            tokens = score.Tokens,
            bytes = score.Bytes,
            loss_per_token = Math.Round(score.LossPerToken, 5),
            perplexity = Math.Round(score.Perplexity, 3),
            bits_per_byte = Math.Round(score.BitsPerByte, 5),
            precision = model.Precision.Name(),
        }));
        return 0;
    }
}
