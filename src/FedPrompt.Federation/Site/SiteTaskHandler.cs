using FedPrompt.Federation.Protocol;

namespace FedPrompt.Federation.Site;

/// <summary>Runs one kind of task on a site: fills in <paramref name="result"/> and returns the
/// result's payload, or null when it has none. A thrown exception becomes a failed result.</summary>
public delegate byte[]? SiteTaskHandler(TaskHeader task, byte[]? payload, ResultHeader result, CancellationToken cancel);
