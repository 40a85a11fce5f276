using System.ComponentModel;
using FedPrompt.Model;
using FedPrompt.Model.Native;
using Spectre.Console.Cli;

namespace FedPrompt.Cli.Commands.Model;

public sealed class ModelInfoCommand : Command<ModelInfoCommand.Settings>
{
    public sealed class Settings : ModelSettings;

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var model = settings.LoadModel();
        var config = model.Config;
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
