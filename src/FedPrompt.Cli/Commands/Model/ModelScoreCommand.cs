using System.ComponentModel;
using System.Text.Json;
using Spectre.Console.Cli;

namespace FedPrompt.Cli.Commands.Model;

/// <summary>Prints {"tokens": [...], "logprobs": [...]}: logprobs[i] = log p(token i+1 | tokens 0..i).</summary>
public sealed class ModelScoreCommand : Command<ModelScoreCommand.Settings>
{
    public sealed class Settings : ModelSettings
    {
        [CommandOption("--text <TEXT>", isRequired: true)]
        [Description("The text to score")]
        public string? Text { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var model = settings.LoadModel();
        var tokens = model.Encode(settings.Text!);
        var logprobs = model.LogProbabilities(tokens);
        Console.Out.WriteLine(JsonSerializer.Serialize(new { tokens, logprobs }));
        return 0;
    }
}
