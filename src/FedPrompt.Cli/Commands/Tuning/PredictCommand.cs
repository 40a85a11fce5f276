using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedPrompt.Formats.Settings;
using FedPrompt.Model;
using FedPrompt.Tuning;
using FedPrompt.Tuning.Artefacts;
using FedPrompt.Tuning.Data;
using FedPrompt.Tuning.Templates;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FedPrompt.Cli.Commands.Tuning;

/// <summary>Greedy answers for new inputs, printed like the reference: the prompt's text followed by the answer.</summary>
public sealed class PredictCommand : Command<PredictCommand.Settings>
{
    public sealed class Settings : EncoderSettings
    {
        [CommandOption("--sentence <TEXT>")] [Description("Text for the template's (single) input field; this or --input is required")] public string? Sentence { get; init; }
        [CommandOption("--input <FILE>")] [Description("JSONL records with the template's input fields; this or --sentence is required")] public string? Input { get; init; }
        [CommandOption("--json")] [Description("Print one JSON object a line per input (its fields, the prompt's text, the answer) (default: the prompt's text and its answer)")] public bool Json { get; init; }
        [CommandOption("--max-new-tokens <N>")] [Description("Longest answer, in tokens (default 16)")] [Range(1, int.MaxValue)] public int MaxNewTokens { get; init; } = 16;

        public override Spectre.Console.ValidationResult Validate() =>
            (Sentence is null) == (Input is null) ? Spectre.Console.ValidationResult.Error("give --sentence or --input (one of them)") : base.Validate();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var model = settings.LoadModel();
        var loaded = EncoderArtefact.Load(settings.PromptEncoder, model);
        var template = loaded.Template;
        var formatter = new PromptFormatter(template, model.Tokenizer, loaded.Encoder.Settings.AtInput, model.Config.Positions);
        var prompted = new PromptedModel(model, loaded.Encoder);
        var inputs = template.Fields.Where(f => f != template.AnswerField).Distinct().ToList();

        IEnumerable<(IReadOnlyDictionary<string, string> Fields, string Origin)> records;
        if (settings.Sentence is not null)
        {
            if (inputs.Count != 1)
                throw new ArgumentException($"--sentence fills one field, but the template has {inputs.Count} ({string.Join(", ", inputs)}); use --input");
            records = [(new Dictionary<string, string> { [inputs[0]] = settings.Sentence }, "--sentence")];
        }
        else
        {
            records = JsonlReader.ReadAll(settings.Input!).Select(r =>
                ((IReadOnlyDictionary<string, string>)r.Fields.ToDictionary(f => f.Key, f => f.Value), $"{settings.Input}:{r.LineNumber}"));
        }

        var options = new GenerationOptions { MaxNewTokens = settings.MaxNewTokens };
        foreach (var (fields, origin) in records)
        {
            var prompt = formatter.FormatPrompt(fields, origin);
            var answer = model.Tokenizer.Decode(prompted.Continue(prompt, options).Where(t => !model.Tokenizer.StopIds.Contains(t)));
            if (settings.Json) ScriptJson.Write(new { input = fields, prompt = PromptText(template, fields), answer });
            else Console.Out.WriteLine(PromptText(template, fields) + answer);
        }
        return 0;
    }

    /// <summary>The filled-in template without its virtual markers and answer, as the reference prints it.</summary>
    static string PromptText(TaskTemplate template, IReadOnlyDictionary<string, string> fields)
    {
        var text = TaskTemplate.VirtualMarker().Replace(template.PromptTemplate, "");
        foreach (var field in template.Fields)
            text = text.Replace("{" + field + "}", field == template.AnswerField ? "" : fields[field]);
        return text.Trim();
    }
}
