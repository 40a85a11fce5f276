namespace FedPrompt.Federation.Jobs;

/// <summary>A job that ended without finishing: what its sites did (failed tasks, rejected results,
/// timeouts), reported to the user as such rather than as a fault of fedprompt.</summary>
public sealed class JobFailedException(string message) : Exception(message);
