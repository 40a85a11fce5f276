using FedPrompt.Formats.Settings;

namespace FedPrompt.Cli.Experiments;

/// <summary>A validation-loss curve: epochs for a site alone, rounds for FedAvg (one local epoch each).</summary>
public sealed record CurvePoint(int Step, double ValidationLoss);

/// <summary>The best model of a run on the test file.</summary>
public sealed record TestResult(int Examples, double Loss, double Accuracy, double? ExactMatch, double MajorityBaseline, IReadOnlyList<string> Answers, int[][] Confusion);

/// <summary>One configuration's run: a site alone, FedAvg across the sites, or all data on one site.</summary>
public sealed record RunResult(string Name, string Kind, IReadOnlyList<CurvePoint> Curve, int BestStep, double BestValidationLoss, double FinalValidationLoss,
    TestResult Test, string BestEncoder, double Seconds);

/// <summary>Every run of one p-tuning family (one job's settings); the centralised run's warmup and max steps are the job's times <paramref name="CentralisedScheduleScale"/>.</summary>
public sealed record FamilyReport(string Family, string Job, string Encoder, long EncoderParameters, int Rounds, int LocalEpochs, double CentralisedScheduleScale,
    IReadOnlyList<RunResult> Runs);

/// <summary>What `fedprompt experiment` measured, written as report.json (and rendered as report.md and plots).</summary>
/// <param name="Precision">How the frozen model computed (bf16 or fp32).</param>
public sealed record ExperimentReport(DateTimeOffset Date, string Machine, string Model, string ModelDescription, string Precision, bool Quick, double WallSeconds,
    IReadOnlyList<FamilyReport> Families);
