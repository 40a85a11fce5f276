using System.ComponentModel;
using FedPrompt.Tuning.Data;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FedPrompt.Cli.Commands.Data;

/// <summary>NeMo's Financial PhraseBank preprocessing: the same 80/10/10 split, byte for byte.</summary>
public sealed class DataPrepareCommand : Command<DataPrepareCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--input <FILE>")]
        [Description("Sentences_AllAgree.txt (sentence@label lines, Latin-1); default: the bundled copy")]
        public string? Input { get; init; }

        [CommandOption("--out <DIR>")]
        [Description("Where financial_phrase_bank_{train,val,test}.jsonl go (default: ./financial_phrasebank)")]
        public string Out { get; init; } = "financial_phrasebank";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var input = settings.Input ?? BundledFiles.Data(Path.Combine("financial_phrasebank", "Sentences_AllAgree.txt"));
        var prepared = FinancialPhraseBankPreparer.Prepare(input, settings.Out);
        AnsiConsole.MarkupLine($"{prepared.ExampleCount} examples from {Markup.Escape(input)}:");
        foreach (var split in new[] { prepared.Train, prepared.Validation, prepared.Test })
            AnsiConsole.MarkupLine($"  {split.Name,-5} {split.RecordCount,5} → {Markup.Escape(split.FilePath)}");
        return 0;
    }
}
