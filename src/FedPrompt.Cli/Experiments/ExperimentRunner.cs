using System.Diagnostics;
using FedPrompt.Federation.Jobs;
using FedPrompt.Federation.Server;
using FedPrompt.Federation.Simulation;
using FedPrompt.Formats.Settings;
using FedPrompt.Model;
using FedPrompt.Tuning;
using FedPrompt.Tuning.Artefacts;
using FedPrompt.Tuning.Data;
using FedPrompt.Tuning.Evaluation;
using FedPrompt.Tuning.Templates;
using FedPrompt.Tuning.Training;
using Microsoft.Extensions.Logging;

namespace FedPrompt.Cli.Experiments;

public sealed record ExperimentOptions
{
    public required string Output { get; init; }
    /// <summary>The job folders whose settings define the p-tuning families compared.</summary>
    public required IReadOnlyList<string> Jobs { get; init; }
    /// <summary>The CI mode: two rounds (two epochs alone), same data and models.</summary>
    public bool Quick { get; init; }
    public bool Generate { get; init; } = true;
}

/// <summary>
/// The reference experiment on a CPU: NeMo's Financial PhraseBank split and NVFlare's 3-site split;
/// then, for every job (tuning family), each site alone for R×E epochs, FedAvg for R rounds of E
/// epochs through the simulator, and all training data on one site (the upper bound), each validated
/// after every epoch or round on the shared validation file, its best model scored on the test file.
/// </summary>
public sealed class ExperimentRunner(LanguageModel model, ILoggerFactory logs, Action<string> say)
{
    public ExperimentReport Run(ExperimentOptions options, CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        var data = Path.Combine(options.Output, "data");
        var prepared = FinancialPhraseBankPreparer.Prepare(BundledFiles.Data(Path.Combine("financial_phrasebank", "Sentences_AllAgree.txt")), data);
        var split = SiteSplitter.Split(prepared.Train.FilePath, Path.Combine(data, "sites"), siteCount: 3);
        say($"data: {prepared.Train.RecordCount} train / {prepared.Validation.RecordCount} validation / {prepared.Test.RecordCount} test; sites {string.Join(", ", split.Sites.Select(s => $"{s.SiteName} {s.RecordCount}"))}");

        // The centralised run sees all sites' data per epoch; its schedule is stretched by as much,
        // so that it warms up and anneals over the same epochs as a site does, not in its first few.
        double centralisedScale = prepared.Train.RecordCount / split.Sites.Average(s => (double)s.RecordCount);
        var families = options.Jobs.Select(job => RunFamily(job, options, data, centralisedScale, cancel)).ToList();
        return new ExperimentReport(DateTimeOffset.UtcNow, Machine(), model.Origin, model.Describe(), model.Precision.Name(), options.Quick, clock.Elapsed.TotalSeconds, families);
    }

    FamilyReport RunFamily(string jobFolder, ExperimentOptions options, string data, double centralisedScale, CancellationToken cancel)
    {
        var job = JobDefinition.Load(jobFolder);
        var site = job.Site;
        int rounds = options.Quick ? 2 : job.Server.NumRounds;
        int localEpochs = rounds * site.Tuning.Epochs;
        var family = Path.GetFileName(Path.TrimEndingDirectorySeparator(jobFolder));
        var output = Path.Combine(options.Output, family);
        var validation = site.ValidationFor("", data);
        var test = Path.Combine(data, "financial_phrase_bank_test.jsonl");
        var runs = new List<RunResult>();
        say($"{family}: {site.Tuning.Encoder.Describe()}; {rounds} rounds × {site.Tuning.Epochs} epoch(s); alone: {localEpochs} epochs");

        foreach (var name in job.Meta.Sites)
            runs.Add(Local($"{name} alone", "local", site.TrainFor(name, data), validation, test, localEpochs, site.Tuning, Path.Combine(output, "local", name), options, cancel));
        runs.Add(FedAvg(jobFolder, rounds, data, test, output, options, cancel));
        var training = site.Tuning.Training;
        var centralised = site.Tuning with
        {
            Training = training with
            {
                WarmupSteps = (int)Math.Round(training.WarmupSteps * centralisedScale),
                MaxSteps = (int)Math.Round(training.MaxSteps * centralisedScale),
            },
        };
        say($"  centralised: schedule stretched ×{centralisedScale:F2} to its data: warmup {centralised.Training.WarmupSteps}, max steps {centralised.Training.MaxSteps}");
        runs.Add(Local("centralised", "centralised", Path.Combine(data, "financial_phrase_bank_train.jsonl"), validation, test, localEpochs, centralised,
            Path.Combine(output, "centralised"), options, cancel));

        using var encoder = Tuning.Encoders.PromptEncoder.Create(site.Tuning.Encoder, model);
        long parameters = encoder.Trainable().Sum(p => p.Parameter.numel());
        return new FamilyReport(family, job.Meta.Name, site.Tuning.Encoder.Type.ToString().ToLowerInvariant(), parameters, rounds, localEpochs, centralisedScale, runs);
    }

    RunResult Local(string name, string kind, string train, string validation, string test, int epochs, TuningSettings settings, string output,
        ExperimentOptions options, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var session = TuningSession.Create(model, settings, train, validation);
        // An experiment's folders are its own: running it again replaces their runs.
        var result = LocalTraining.Start(session, epochs, output, ExistingRun.Overwrite)
            .Run(epochDone: m => say($"  {name}: epoch {m.Epoch}/{epochs} validation loss {m.ValidationLoss:F4}"), cancel: cancel);
        var curve = result.Epochs.Select(e => new CurvePoint(e.Epoch, e.ValidationLoss)).ToList();
        return Finish(name, kind, curve, result.BestEncoder, test, options, clock);
    }

    RunResult FedAvg(string jobFolder, int rounds, string data, string test, string output, ExperimentOptions options, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var simulation = new SimulationOptions { JobFolder = jobFolder, Workspace = Path.Combine(output, "fedavg"), DataFolder = data, Rounds = rounds };
        // The server also raises RoundClosed when the job ends, with the last round again.
        var (state, store) = Simulator.RunAsync(simulation, model, logs, s =>
        {
            if (!JobStatuses.IsOver(s.Status))
                say($"  FedAvg: round {s.Rounds[^1].Round} validation loss {(s.Rounds[^1].ValidationLoss is { } loss ? loss.ToString("F4") : "none")}");
        }, cancel).GetAwaiter().GetResult();
        if (state.Status != JobStatuses.Finished) throw new JobFailedException($"the FedAvg job {state.Status}: {state.Message}");
        // The model a round's sites validated is the global model after the previous round's
        // aggregation: round r's loss belongs to r rounds of training, like epoch r alone.
        var curve = state.Rounds.Where(r => r.Round > 0 && r.ValidationLoss is not null)
            .Select(r => new CurvePoint(r.Round, r.ValidationLoss!.Value)).ToList();
        // The server chose the best round by the median of the sites' losses (a robust choice); the curve is their mean.
        return Finish("FedAvg", "fedavg", curve, Path.Combine(store.Folder, JobStore.BestArtefactFile), test, options, clock, state.BestRound);
    }

    RunResult Finish(string name, string kind, IReadOnlyList<CurvePoint> curve, string bestEncoder, string test, ExperimentOptions options, Stopwatch clock,
        int? bestStep = null)
    {
        var best = curve.FirstOrDefault(p => p.Step == bestStep) ?? curve.MinBy(p => p.ValidationLoss)!;
        var loaded = EncoderArtefact.Load(bestEncoder, model);
        var formatter = new PromptFormatter(loaded.Template, model.Tokenizer, loaded.Encoder.Settings.AtInput, model.Config.Positions);
        var examples = formatter.FormatForTraining(JsonlReader.ReadAll(test), test, loaded.Answers).Examples;
        var evaluation = Evaluator.Evaluate(new PromptedModel(model, loaded.Encoder), formatter, examples, loaded.Answers, options.Generate);
        var result = new TestResult(evaluation.Examples, evaluation.Loss, evaluation.Accuracy, evaluation.ExactMatch, evaluation.MajorityBaseline,
            evaluation.Answers, evaluation.Confusion);
        say($"  {name}: best validation loss {best.ValidationLoss:F4} at {best.Step}; test accuracy {result.Accuracy:F3}" +
            (result.ExactMatch is { } em ? $", exact match {em:F3}" : ""));
        return new RunResult(name, kind, curve, best.Step, best.ValidationLoss, curve[^1].ValidationLoss, result, bestEncoder, clock.Elapsed.TotalSeconds);
    }

    static string Machine()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        return $"{Environment.ProcessorCount} cores{(cpu is null ? "" : $" ({cpu})")}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";
    }
}
