using System.ComponentModel;
using Spectre.Console.Cli;

namespace FedPrompt.Cli.Commands.Model;

/// <summary>Every command that runs a GPT names it the same way.</summary>
public class ModelSettings : CommandSettings
{
    [CommandOption("--model <PATH>")]
    [Description("A Hugging Face GPT-2 folder or a NeMo .nemo file")]
    public string Model { get; init; } = "";

    public override Spectre.Console.ValidationResult Validate() =>
        string.IsNullOrWhiteSpace(Model) ? Spectre.Console.ValidationResult.Error("--model is required") : base.Validate();
}
