namespace FedPrompt.Tuning.Training;

/// <summary>One line of metrics.jsonl: an epoch's training loss and the validation loss after it.</summary>
public sealed record EpochMetrics(int Epoch, int Step, double TrainLoss, double ValidationLoss, double LearningRate, double Seconds, DateTimeOffset Time);
