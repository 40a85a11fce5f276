namespace FedPrompt.Federation.Messages;

/// <summary>What a site is asked to do (the wire's TaskKind, in the same order).</summary>
public enum SiteTaskKind
{
    /// <summary>Nothing yet: ask again after <see cref="SiteTask.RetryAfter"/>.</summary>
    Wait,
    /// <summary>Set up for a job: <see cref="SiteTask.ConfigJson"/> holds its tuning and data settings.</summary>
    Configure,
    /// <summary>Validate the global model in the payload, train it locally, return the weight difference.</summary>
    Train,
    /// <summary>Validate the global model in the payload.</summary>
    Validate,
    /// <summary>Secure aggregation: make a fresh key pair and send its public key.</summary>
    SecureKey,
    /// <summary>Secure aggregation: mask the update held since training with the participants' keys, send it.</summary>
    SecureMask,
}

/// <summary>A participant's public key as announced in a mask task: checked (a P-256
/// SubjectPublicKeyInfo) only where it is used, so a bad one fails that task, not the connection.</summary>
public sealed record AnnouncedKey(string Site, byte[] PublicKey);

/// <summary>A payload's announcement: it must arrive with exactly this size and SHA-256.</summary>
public sealed record PayloadDescription(long Size, string Sha256);

/// <summary>A task as the server issues it and the site runs it; the global model, when the task
/// has one, travels beside it as a payload.</summary>
public sealed record SiteTask
{
    public required SiteTaskKind Kind { get; init; }
    public string JobId { get; init; } = "";
    public string TaskId { get; init; } = "";
    public int Round { get; init; }
    public string ConfigJson { get; init; } = "";
    public PayloadDescription? Payload { get; init; }
    public TimeSpan RetryAfter { get; init; }
    /// <summary>A train task of a job with secure aggregation: keep the update for masking instead of sending it.</summary>
    public bool SecureAggregation { get; init; }
    /// <summary>A mask task: every participant's public key, the site's own included.</summary>
    public IReadOnlyList<AnnouncedKey> Participants { get; init; } = [];
    /// <summary>The secure aggregation attempt within the round (a dropout restarts it with the survivors).</summary>
    public int Attempt { get; init; }
}
