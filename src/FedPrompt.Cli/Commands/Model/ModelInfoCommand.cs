using System.ComponentModel;
using FedPrompt.Formats.Settings;
using FedPrompt.Model.Native;
using FedPrompt.Model;
using Spectre.Console.Cli;

namespace FedPrompt.Cli.Commands.Model;

public sealed class ModelInfoCommand : Command<ModelInfoCommand.Settings>
{
    public sealed class Settings : ModelSettings
    {
        [CommandOption("--json")] [Description("Print the facts as one JSON object (default: key: value lines)")] public bool Json { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var model = settings.LoadModel();
        var config = model.Config;
        if (settings.Json)
        {
            ScriptJson.Write(new
            {
                model = model.Origin,
                format = model.Format,
                architecture = config.Describe(),
                parameters = config.ParameterCount,
                stored_types = model.StoredTypes.Select(t => t.ToString()),
                precision = model.Precision.Name(),
                requested_precision = model.RequestedPrecision.Describe(),
                tokenizer = model.Tokenizer.Description,
                end_of_text = model.Tokenizer.EndOfTextId,
                torch_backend = TorchNative.Status,
            });
            return 0;
        }
        // Plain "key: value" lines: readable, and whole for scripts whatever the terminal width.
        foreach (var (key, value) in new[]
        {
            ("model", model.Origin),
            ("format", model.Format),
            ("architecture", config.Describe()),
            ("parameters", $"{config.ParameterCount:N0}"),
            ("dtype", $"{string.Join("/", model.StoredTypes)} on disk, {model.Precision.Name()} in memory"),
            ("precision", model.RequestedPrecision.Describe()),
            ("tokenizer", model.Tokenizer.Description),
            ("end of text", $"{model.Tokenizer.EndOfTextId}"),
            ("torch backend", TorchNative.Status),
        })
            Console.Out.WriteLine($"{key,-14}{value}");
        return 0;
    }
}
