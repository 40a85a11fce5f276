namespace FedPrompt.Federation.Site;

/// <summary>What a train task sends back.</summary>
public sealed record TrainOutcome(byte[] Difference, long Steps, Dictionary<string, double> Metrics);
