using FedPrompt.Federation.Messages;

namespace FedPrompt.Federation.Site;

/// <summary>Runs one kind of task on a site: fills in the blank <paramref name="result"/> and returns
/// it with its payload, or null when it has none. A thrown exception becomes a failed result.</summary>
public delegate (SiteResult Result, byte[]? Payload) SiteTaskHandler(SiteTask task, byte[]? payload, SiteResult result, CancellationToken cancel);
