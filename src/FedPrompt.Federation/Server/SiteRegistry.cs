namespace FedPrompt.Federation.Server;

/// <summary>A connected site as the server tracks it.</summary>
public sealed record SiteStatus(string Name, string Session, DateTimeOffset LastSeen, bool Alive, string? TaskId);

/// <summary>
/// Who is connected: a session per site, when each was last heard from, and which are alive. A site
/// silent for longer than the heartbeat timeout is declared gone; it is welcome back with a new Hello.
/// While a session is alive only the process holding it may replace it (reconnecting after a
/// network problem): the same identity started twice would otherwise take the session in turns.
/// </summary>
public sealed class SiteRegistry(TimeSpan heartbeatTimeout, TimeProvider clock)
{
    sealed class Entry
    {
        public required string Session;
        public DateTimeOffset LastSeen;
        public string? TaskId;
    }

    readonly Dictionary<string, Entry> _sites = new(StringComparer.Ordinal);
    readonly Lock _gate = new();

    /// <summary>A new session for the site, or false (and when its live session was last heard
    /// from) when another process holds a live one.</summary>
    /// <param name="previousSession">The session the caller held before, if any.</param>
    public bool TryHello(string site, string previousSession, out string session, out DateTimeOffset liveSessionLastSeen)
    {
        lock (_gate)
        {
            if (_sites.TryGetValue(site, out var existing) && IsAlive(existing) && existing.Session != previousSession)
            {
                (session, liveSessionLastSeen) = ("", existing.LastSeen);
                return false;
            }
            session = Guid.NewGuid().ToString("N");
            liveSessionLastSeen = default;
            _sites[site] = new Entry { Session = session, LastSeen = clock.GetUtcNow() };
            return true;
        }
    }

    /// <summary>connected, gone (its heartbeats stopped) or never connected (to this server process).</summary>
    public string Connection(string site)
    {
        lock (_gate) return !_sites.TryGetValue(site, out var entry) ? "never connected" : IsAlive(entry) ? "connected" : "gone";
    }

    /// <summary>Records that the site is alive; false when the session is unknown (say Hello again).</summary>
    public bool Touch(string site, string session, string? taskId = null)
    {
        lock (_gate)
        {
            if (!_sites.TryGetValue(site, out var entry) || entry.Session != session || !IsAlive(entry)) return false;
            entry.LastSeen = clock.GetUtcNow();
            if (taskId is not null) entry.TaskId = taskId.Length == 0 ? null : taskId;
            return true;
        }
    }

    public bool IsAlive(string site)
    {
        lock (_gate) return _sites.TryGetValue(site, out var entry) && IsAlive(entry);
    }

    bool IsAlive(Entry entry) => clock.GetUtcNow() - entry.LastSeen <= heartbeatTimeout;

    public IReadOnlyList<SiteStatus> Snapshot()
    {
        lock (_gate)
            return _sites.OrderBy(s => s.Key, StringComparer.Ordinal)
                .Select(s => new SiteStatus(s.Key, s.Value.Session, s.Value.LastSeen, IsAlive(s.Value), s.Value.TaskId)).ToList();
    }
}
