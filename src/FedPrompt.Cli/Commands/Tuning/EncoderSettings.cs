using System.ComponentModel;
using FedPrompt.Cli.Commands.Model;
using Spectre.Console.Cli;

namespace FedPrompt.Cli.Commands.Tuning;

/// <summary>Commands that apply a trained prompt encoder (or LoRA adapter) to its base model.</summary>
public class EncoderSettings : ModelSettings
{
    [CommandOption("--prompt-encoder <FILE>", isRequired: true)]
    [Description("A trained prompt encoder or LoRA adapter (.safetensors from train, a federated job's best/last global model, or a PEFT LoRA folder)")]
    public string PromptEncoder { get; init; } = "";
}
