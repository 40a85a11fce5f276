using System.ComponentModel;
using FedPrompt.Cli.Commands.Tuning;
using FedPrompt.Tuning.Artefacts;
using FedPrompt.Tuning.Encoders;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FedPrompt.Cli.Commands.Adapter;

/// <summary>Writes a trained LoRA adapter as a Hugging Face PEFT folder, for PeftModel.from_pretrained.</summary>
public sealed class AdapterExportCommand : Command<AdapterExportCommand.Settings>
{
    public sealed class Settings : EncoderSettings
    {
        [CommandOption("--out <DIR>", isRequired: true)] [Description("The PEFT folder to write: adapter_config.json and adapter_model.safetensors; an existing one is refused unless --overwrite")]
        public string Out { get; init; } = "";
        [CommandOption("--overwrite")] [Description("Replace the adapter files already in --out (default: off)")] public bool Overwrite { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (!settings.Overwrite && (File.Exists(Path.Combine(settings.Out, PeftAdapterFolder.ConfigFile)) || File.Exists(Path.Combine(settings.Out, PeftAdapterFolder.WeightsFile))))
            throw new IOException($"{settings.Out} already holds a PEFT adapter; give --overwrite to replace it");
        using var model = settings.LoadModel();
        var loaded = EncoderArtefact.Load(settings.PromptEncoder, model);
        if (loaded.Encoder is not LoraAdapters adapters)
            throw new ArgumentException($"{settings.PromptEncoder}: a {loaded.Encoder.Settings.Type.ToString().ToLowerInvariant()} prompt encoder, not a LoRA adapter; PEFT folders hold LoRA adapters");
        PeftAdapterFolder.Write(settings.Out, adapters, loaded.Template, loaded.Answers, model);
        AnsiConsole.MarkupLine($"LoRA r {adapters.Settings.LoraRank}, alpha {adapters.Settings.LoraAlpha} on {adapters.AdaptedLayers.Count} layers → {Markup.Escape(settings.Out)} " +
            $"({PeftAdapterFolder.ConfigFile}, {PeftAdapterFolder.WeightsFile}); in Python: PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), \"{Markup.Escape(settings.Out)}\")");
        return 0;
    }
}
