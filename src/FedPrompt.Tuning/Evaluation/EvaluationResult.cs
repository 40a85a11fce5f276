namespace FedPrompt.Tuning.Evaluation;

/// <summary>One example's outcome: the true answer, the best-scoring answer, and what greedy decoding produced.</summary>
public sealed record Prediction(string Origin, string Answer, string Scored, string? Generated);

/// <summary>
/// Validation loss as the reference computes it (answer tokens only, averaged over them), accuracy by
/// scoring every allowed answer, greedy-generation exact match, a confusion matrix (rows: true
/// answer, columns: scored answer), and the majority-class baseline of the same examples.
/// </summary>
public sealed record EvaluationResult(
    int Examples,
    double Loss,
    double Accuracy,
    double? ExactMatch,
    IReadOnlyList<string> Answers,
    int[][] Confusion,
    string MajorityAnswer,
    double MajorityBaseline,
    IReadOnlyList<Prediction> Predictions);
