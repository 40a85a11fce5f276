using System.ComponentModel;
using FedPrompt.Model;
using FedPrompt.Model.Native;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FedPrompt.Cli.Commands.Model;

public sealed class ModelInfoCommand : Command<ModelInfoCommand.Settings>
{
    public sealed class Settings : ModelSettings;

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var model = settings.LoadModel();
        var config = model.Config;
        var table = new Table().HideHeaders().AddColumns("", "");
        table.AddRow("model", Markup.Escape(model.Origin));
        table.AddRow("format", Markup.Escape(model.Format));
        table.AddRow("architecture", Markup.Escape(config.Describe()));
        table.AddRow("parameters", $"{config.ParameterCount:N0}");
        table.AddRow("dtype", $"{string.Join("/", model.StoredTypes)} on disk, fp32 in memory");
        table.AddRow("tokenizer", Markup.Escape(model.Tokenizer.Description));
        table.AddRow("end of text", $"{model.Tokenizer.EndOfTextId}");
        table.AddRow("torch backend", Markup.Escape(TorchNative.Status));
        AnsiConsole.Write(table);
        return 0;
    }
}
