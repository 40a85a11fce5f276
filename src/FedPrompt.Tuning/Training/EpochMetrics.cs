using FedPrompt.Formats.Settings;

namespace FedPrompt.Tuning.Training;

/// <summary>One line of metrics.jsonl: an epoch's training loss and the validation loss after it, and
/// the precision the frozen model computed in (bf16 or fp32), since losses differ slightly between them.</summary>
public sealed record EpochMetrics(int Epoch, int Step, double TrainLoss, double ValidationLoss, double LearningRate, double Seconds, DateTimeOffset Time, string Precision);
