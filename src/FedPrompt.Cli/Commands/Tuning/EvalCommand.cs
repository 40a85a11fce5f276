using System.ComponentModel;
using System.Text.Json;
using FedPrompt.Tuning;
using FedPrompt.Tuning.Artefacts;
using FedPrompt.Tuning.Data;
using FedPrompt.Tuning.Evaluation;
using FedPrompt.Tuning.Templates;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FedPrompt.Cli.Commands.Tuning;

/// <summary>Loss, accuracy by label scoring, greedy exact match and a confusion matrix on a labelled JSONL file.</summary>
public sealed class EvalCommand : Command<EvalCommand.Settings>
{
    public sealed class Settings : EncoderSettings
    {
        [CommandOption("--input <FILE>", isRequired: true)] [Description("Labelled JSONL to evaluate on")] public string Input { get; init; } = "";
        [CommandOption("--json")] [Description("Print the result as one JSON object (default: a table)")] public bool Json { get; init; }
        [CommandOption("--no-generate")] [Description("Skip greedy-generation exact match, which is slower (default: measured)")] public bool NoGenerate { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var model = settings.LoadModel();
        var loaded = EncoderArtefact.Load(settings.PromptEncoder, model);
        var formatter = new PromptFormatter(loaded.Template, model.Tokenizer, loaded.Encoder.Settings.AtInput, model.Config.Positions);
        var records = JsonlReader.ReadAll(settings.Input);
        // A PEFT folder from elsewhere names no answers: the labels of the file are the task's.
        var answers = loaded.Answers.Count > 0 ? loaded.Answers : TuningSession.AnswersIn(records, loaded.Template.AnswerField, settings.Input);
        var (examples, report) = formatter.FormatForTraining(records, settings.Input, answers);
        EvaluationResult result = null!;
        // On stderr, so that --json's stdout stays one JSON object.
        var progressConsole = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        progressConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                var progress = new SynchronousProgress<EvaluationProgress>(p =>
                {
                    if (!tasks.TryGetValue(p.Phase, out var task)) tasks[p.Phase] = task = ctx.AddTask(p.Phase, maxValue: p.Total);
                    task.Value = p.Done;
                });
                result = Evaluator.Evaluate(new PromptedModel(model, loaded.Encoder), formatter, examples, answers, generate: !settings.NoGenerate, progress: progress);
            });
        if (settings.Json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(new
            {
                examples = result.Examples,
                dropped = report.Dropped,
                loss = result.Loss,
                accuracy = result.Accuracy,
                exact_match = result.ExactMatch,
                majority_answer = result.MajorityAnswer,
                majority_baseline = result.MajorityBaseline,
                answers = result.Answers,
                confusion = result.Confusion,
            }));
            return 0;
        }
        AnsiConsole.MarkupLine($"{result.Examples} examples{(report.Dropped > 0 ? $" ({report.Dropped} dropped as too long)" : "")}");
        AnsiConsole.MarkupLine($"loss {result.Loss:F4} · accuracy {result.Accuracy:F3} · exact match {(result.ExactMatch is { } em ? em.ToString("F3") : "—")} · majority baseline {result.MajorityBaseline:F3} ({Markup.Escape(result.MajorityAnswer.Trim())})");
        var table = new Table().AddColumn("true \\ predicted");
        foreach (var answer in result.Answers) table.AddColumn(Markup.Escape(answer.Trim()));
        for (int i = 0; i < result.Answers.Count; i++)
            table.AddRow([Markup.Escape(result.Answers[i].Trim()), .. result.Confusion[i].Select(c => c.ToString())]);
        AnsiConsole.Write(table);
        return 0;
    }
}
