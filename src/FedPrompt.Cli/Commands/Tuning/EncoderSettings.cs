using System.ComponentModel;
using FedPrompt.Cli.Commands.Model;
using Spectre.Console.Cli;

namespace FedPrompt.Cli.Commands.Tuning;

/// <summary>Commands that apply a trained prompt encoder to its base model.</summary>
public class EncoderSettings : ModelSettings
{
    [CommandOption("--prompt-encoder <FILE>", isRequired: true)]
    [Description("A trained prompt encoder (.safetensors from train, or a federated job's best/last global model)")]
    public string PromptEncoder { get; init; } = "";
}
