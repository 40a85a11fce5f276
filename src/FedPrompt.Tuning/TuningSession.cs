using FedPrompt.Formats.Settings;
using FedPrompt.Model;
using FedPrompt.Tuning.Data;
using FedPrompt.Tuning.Encoders;
using FedPrompt.Tuning.Evaluation;
using FedPrompt.Tuning.Templates;
using FedPrompt.Tuning.Training;

namespace FedPrompt.Tuning;

/// <summary>
/// One site's p-tuning: a prompt encoder on a (shared, frozen) base model, the site's training and
/// validation examples, and a trainer whose optimizer state lasts as long as the session. Both
/// `fedprompt train` and a federated site drive this.
/// </summary>
public sealed class TuningSession
{
    TuningSession(TuningSettings settings, PromptedModel model, PromptFormatter formatter, IReadOnlyList<string> answers,
        List<TokenizedExample> train, List<TokenizedExample> validation, FormattingReport trainReport, FormattingReport validationReport)
    {
        Settings = settings;
        Model = model;
        Formatter = formatter;
        Answers = answers;
        Train = train;
        Validation = validation;
        TrainReport = trainReport;
        ValidationReport = validationReport;
        Trainer = new PromptTrainer(model, settings.Training, settings.Template.AnswerOnlyLoss);
    }

    public TuningSettings Settings { get; }
    public PromptedModel Model { get; }
    public PromptFormatter Formatter { get; }
    public IReadOnlyList<string> Answers { get; }
    public List<TokenizedExample> Train { get; }
    public List<TokenizedExample> Validation { get; }
    public FormattingReport TrainReport { get; }
    public FormattingReport ValidationReport { get; }
    public PromptTrainer Trainer { get; }

    /// <param name="encoder">An encoder to continue from; by default a fresh one from the settings' seed.</param>
    public static TuningSession Create(LanguageModel model, TuningSettings settings, string trainFile, string validationFile, PromptEncoder? encoder = null)
    {
        if (settings.Precision != Precision.Auto && settings.Precision != model.Precision)
            throw new InvalidDataException($"these settings ask for a model computing in {settings.Precision.Name()}; it was loaded in {model.Precision.Name()} (load it with --precision {settings.Precision.Name()})");
        var train = JsonlReader.ReadAll(trainFile);
        var validation = JsonlReader.ReadAll(validationFile);
        if (train.Count == 0) throw new DataFormatException(trainFile, null, "no training examples");
        if (validation.Count == 0) throw new DataFormatException(validationFile, null, "no validation examples");
        // Undeclared answers are the validation file's: a site whose training data lacks a class still
        // scores it, and a training label outside them (a typo, another task's file) is refused as eval refuses it.
        var answers = settings.Answers ?? AnswersIn(validation, settings.Template.AnswerField, validationFile);
        var formatter = new PromptFormatter(settings.Template, model.Tokenizer, settings.Encoder.AtInput, model.Config.Positions);
        var (trainExamples, trainReport) = formatter.FormatForTraining(train, trainFile, answers);
        var (validationExamples, validationReport) = formatter.FormatForTraining(validation, validationFile, answers);
        if (trainExamples.Count == 0) throw new DataFormatException(trainFile, null, $"every example is longer than {formatter.MaxLength} tokens");
        // Without one example the validation loss would be no number at all.
        if (validationExamples.Count == 0) throw new DataFormatException(validationFile, null, $"every example is longer than {formatter.MaxLength} tokens");
        encoder ??= PromptEncoder.Create(settings.Encoder, model);
        return new TuningSession(settings, new PromptedModel(model, encoder), formatter, answers, trainExamples, validationExamples, trainReport, validationReport);
    }

    /// <summary>The distinct answers of a data file, in ordinal order (so every site lists them alike).</summary>
    public static IReadOnlyList<string> AnswersIn(IReadOnlyList<JsonlRecord> records, string answerField, string file)
    {
        var answers = new List<string>();
        foreach (var record in records)
        {
            if (!record.TryGetValue(answerField, out var answer))
                throw new DataFormatException(file, record.LineNumber, $"no \"{answerField}\" field");
            if (!answers.Contains(answer)) answers.Add(answer);
        }
        return answers.Order(StringComparer.Ordinal).ToList();
    }

    public EpochResult TrainEpoch(IProgress<TrainingProgress>? progress = null, CancellationToken cancel = default) =>
        Trainer.TrainEpoch(Train, progress, cancel);

    public double ValidationLoss() => Evaluator.Loss(Model, Validation);

    public EvaluationResult Evaluate(IReadOnlyList<TokenizedExample> examples, bool generate) =>
        Evaluator.Evaluate(Model, Formatter, examples, Answers, generate);
}
