namespace FedPrompt.Federation.Site;

/// <summary>What a train task sends back.</summary>
public sealed record TrainOutcome(Models.ModelState Difference, long Steps, Dictionary<string, double> Metrics);
