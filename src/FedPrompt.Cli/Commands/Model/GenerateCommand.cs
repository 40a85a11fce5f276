using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedPrompt.Model;
using FedPrompt.Tuning;
using FedPrompt.Tuning.Artefacts;
using FedPrompt.Tuning.Templates;
using Spectre.Console.Cli;

namespace FedPrompt.Cli.Commands.Model;

/// <summary>Continues a prompt: greedy by default, sampled (seeded) with a temperature.</summary>
public sealed class GenerateCommand : Command<GenerateCommand.Settings>
{
    public sealed class Settings : ModelSettings
    {
        [CommandOption("--prompt <TEXT>", isRequired: true)]
        [Description("The text to continue")]
        public string? Prompt { get; init; }

        [CommandOption("--max-new-tokens <N>")]
        [Description("Stop after this many tokens (default 32), or at end of text")]
        [Range(1, int.MaxValue)]
        public int MaxNewTokens { get; init; } = 32;

        [CommandOption("--temperature <T>")]
        [Description("Softmax temperature: 0 (default) decodes greedily; above 0 samples")]
        [Range(0.0, double.MaxValue)]
        public double Temperature { get; init; }

        [CommandOption("--top-k <K>")]
        [Description("Sample only among the K most likely tokens (default 0: all)")]
        [Range(0, int.MaxValue)]
        public int TopK { get; init; }

        [CommandOption("--top-p <P>")]
        [Description("Sample only within the most likely tokens whose probability mass reaches P, above 0 and at most 1 (default 1)")]
        [Range(0.0, 1.0, MinimumIsExclusive = true)]
        public double TopP { get; init; } = 1.0;

        [CommandOption("--seed <N>")]
        [Description("Seed for sampling (default 0)")]
        public long Seed { get; init; }

        [CommandOption("--prompt-encoder <PATH>")]
        [Description("Continue through a trained LoRA adapter (a .safetensors from train or a job, or a PEFT folder) or deep prompts (default: the model alone)")]
        public string? PromptEncoder { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var options = new GenerationOptions
        {
            MaxNewTokens = settings.MaxNewTokens,
            Temperature = settings.Temperature,
            TopK = settings.TopK,
            TopP = settings.TopP,
            Seed = settings.Seed,
        }.Validated();
        using var model = settings.LoadModel();
        var prompt = model.Encode(settings.Prompt!);
        List<int> generated;
        if (settings.PromptEncoder is null) generated = Generation.Continue(model, prompt, options);
        else
        {
            var loaded = EncoderArtefact.Load(settings.PromptEncoder, model);
            if (loaded.Encoder.Settings.AtInput)
                throw new ArgumentException($"{settings.PromptEncoder}: an input-level prompt encoder needs its task's template to place its virtual tokens; use predict");
            generated = new PromptedModel(model, loaded.Encoder).Continue(new TokenizedExample([.. prompt], prompt.Count, null, "--prompt"), options);
        }
        var text = model.Tokenizer.Decode(generated.Where(id => !model.Tokenizer.StopIds.Contains(id)));
        Console.Out.WriteLine(settings.Prompt + text);
        return 0;
    }
}
