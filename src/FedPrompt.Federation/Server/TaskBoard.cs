using FedPrompt.Federation.Messages;

namespace FedPrompt.Federation.Server;

/// <summary>What the server hands a site: a task header and, for model tasks, the payload.</summary>
public sealed record TaskAssignment(SiteTask Task, byte[]? Payload);

/// <summary>
/// The tasks a job has out: at most one per site, each tied to the session it was issued to, so a
/// result or heartbeat from an older session of the same site cannot answer it. And which session
/// of each site has set up (configured) for the job: a site that reconnects must set up again.
/// Not thread-safe: the workflow holds its lock around every call.
/// </summary>
public sealed class TaskBoard(string jobId)
{
    public sealed record Outstanding(string TaskId, string Session, SiteTaskKind Kind, int Round);

    readonly Dictionary<string, Outstanding> _outstanding = new(StringComparer.Ordinal);
    readonly Dictionary<string, string> _configuredSessions = new(StringComparer.Ordinal);

    /// <summary>Whether this session of the site is working on a task already.</summary>
    public bool IsBusy(string site, string session) => _outstanding.TryGetValue(site, out var task) && task.Session == session;

    public bool IsConfigured(string site, string session) => _configuredSessions.TryGetValue(site, out var configured) && configured == session;

    public void Configured(string site, string session) => _configuredSessions[site] = session;

    public TaskAssignment Issue(string site, string session, SiteTaskKind kind, int round, byte[]? payload = null, string? config = null,
        Func<SiteTask, SiteTask>? complete = null)
    {
        var taskId = $"{jobId}/{kind.ToString().ToLowerInvariant()}/r{round}/{site}/{Guid.NewGuid():N}";
        _outstanding[site] = new Outstanding(taskId, session, kind, round);
        var task = new SiteTask
        {
            Kind = kind, JobId = jobId, TaskId = taskId, Round = round, ConfigJson = config ?? "",
            Payload = payload is null ? null : Wire.Payloads.Describe(payload),
        };
        return new TaskAssignment(complete?.Invoke(task) ?? task, payload);
    }

    /// <summary>Whether the site should keep working on this task (its heartbeats ask).</summary>
    public bool Wants(string site, string taskId) => _outstanding.TryGetValue(site, out var task) && task.TaskId == taskId;

    /// <summary>The task a result answers, taken off the board; null when the site holds no such task.</summary>
    public Outstanding? Take(string site, string taskId)
    {
        if (!_outstanding.TryGetValue(site, out var task) || task.TaskId != taskId) return null;
        _outstanding.Remove(site);
        return task;
    }

    /// <summary>A new round makes the previous round's tasks stale; a site still setting up keeps its configure task.</summary>
    public void NewRound()
    {
        foreach (var site in _outstanding.Where(o => o.Value.Kind != SiteTaskKind.Configure).Select(o => o.Key).ToList()) _outstanding.Remove(site);
    }

    /// <summary>The site was declared gone: its task is dropped, and it sets up again when it returns.</summary>
    public void Forget(string site)
    {
        _outstanding.Remove(site);
        _configuredSessions.Remove(site);
    }

    /// <summary>What the site is doing, in words, or null when it holds no task.</summary>
    public string? Activity(string site) => _outstanding.TryGetValue(site, out var task) ? task.Kind switch
    {
        SiteTaskKind.Configure => "setting up",
        SiteTaskKind.Train => $"training round {task.Round}",
        SiteTaskKind.Validate => $"validating round {task.Round}",
        _ => $"secure aggregation, round {task.Round}",
    } : null;
}
