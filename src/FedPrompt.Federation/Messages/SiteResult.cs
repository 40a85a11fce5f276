namespace FedPrompt.Federation.Messages;

/// <summary>What a site sends back for a task; its payload (an update, an initial or masked
/// encoder) travels beside it, announced by <see cref="Payload"/>.</summary>
public sealed record SiteResult
{
    public string Session { get; init; } = "";
    public string JobId { get; init; } = "";
    public string TaskId { get; init; } = "";
    public int Round { get; init; }
    public SiteTaskKind Kind { get; init; }
    /// <summary>The task failed on the site (<see cref="Error"/> says why): it costs the site this round, not the job.</summary>
    public bool Failed { get; init; }
    public string Error { get; init; } = "";
    /// <summary>Local optimizer steps: the FedAvg weight of a train result.</summary>
    public long Steps { get; init; }
    /// <summary>e.g. validation_loss and validation_accuracy of the received global model, train_loss.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
    public PayloadDescription? Payload { get; init; }
    /// <summary>A configure result: the site's setup (base model identity, answers, example counts) as JSON.</summary>
    public string SiteInfoJson { get; init; } = "";
    /// <summary>A secure key result: the site's public key for this attempt.</summary>
    public byte[] PublicKey { get; init; } = [];
    public int Attempt { get; init; }

    /// <summary>The blank result for a task, to be filled in by whoever runs it.</summary>
    public static SiteResult For(SiteTask task, string session) =>
        new() { Session = session, JobId = task.JobId, TaskId = task.TaskId, Round = task.Round, Kind = task.Kind };
}

/// <summary>The server's answer to a result: accepted, or refused with the reason.</summary>
public sealed record ResultVerdict(bool Accepted, string Reason)
{
    public static readonly ResultVerdict Yes = new(true, "");
    public static ResultVerdict No(string reason) => new(false, reason);
}
