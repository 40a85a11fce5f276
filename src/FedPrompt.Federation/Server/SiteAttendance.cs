using Microsoft.Extensions.Logging;

namespace FedPrompt.Federation.Server;

/// <summary>One of a job's sites now: its connection (<see cref="SiteRegistry.Connection"/>) and what it does in the job.</summary>
public sealed record JobSiteState(string Site, string Connection, string Activity);

/// <summary>
/// Whether enough of a running job's sites are connected for it to make progress: a job whose sites
/// never start, or that named a site that does not exist, would otherwise wait forever. The job is
/// given up once fewer than min_clients of its sites have been connected for the server's
/// <see cref="ServerOptions.SiteConnectTimeout"/>. The wait is logged once it has lasted a few
/// seconds: sites starting with the job (the simulator's, a deployment's) take a moment to connect.
/// </summary>
public sealed class SiteAttendance(string jobId, IReadOnlyList<string> sites, int minClients, TimeSpan timeout, SiteRegistry registry, TimeProvider clock, ILogger log)
{
    // Since when fewer than min_clients have been connected (from the job's start until shown
    // otherwise); null while enough are.
    DateTimeOffset? _shortSince = clock.GetUtcNow();
    bool _logged;
    readonly TimeSpan _quietFor = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(10).Ticks, timeout.Ticks / 2));

    /// <summary>Why the job cannot go on, or null while it can (or may yet).</summary>
    public string? GiveUpReason()
    {
        var now = clock.GetUtcNow();
        var missing = sites.Where(s => !registry.IsAlive(s)).ToList();
        if (sites.Count - missing.Count >= minClients)
        {
            (_shortSince, _logged) = (null, false);
            return null;
        }
        _shortSince ??= now;
        if (!_logged && now - _shortSince >= _quietFor)
        {
            _logged = true;
            log.LogWarning("job {Job}: waiting for {Sites}: fewer than min_clients {Min} of its sites are connected; the job fails if that lasts {Timeout} s",
                jobId, Describe(missing), minClients, timeout.TotalSeconds);
        }
        return now - _shortSince < timeout ? null
            : $"fewer than min_clients {minClients} of its sites were connected for {timeout.TotalSeconds:0} s ({Describe(missing)})";
    }

    /// <summary>When <see cref="GiveUpReason"/> would log the wait or give up if no site connects; null while enough are connected.</summary>
    public DateTimeOffset? NextDeadline() => _shortSince + (_logged ? timeout : _quietFor);

    string Describe(IEnumerable<string> missing) => string.Join(", ", missing.Select(s => $"{s} {registry.Connection(s)}"));
}
