namespace FedPrompt.Federation.Server;

/// <summary>How a server runs, whatever the job: where it keeps jobs, how it tells dead sites from busy ones, how large payloads may be.</summary>
public sealed record ServerOptions
{
    public required string Workspace { get; init; }
    /// <summary>How often sites send heartbeats (told to them at Hello).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>A site silent for this long is declared gone and loses its task (the reference uses 600 s).</summary>
    public TimeSpan HeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public long MaxPayloadBytes { get; init; } = 1L << 30;
    public int ChunkBytes { get; init; } = Wire.Payloads.DefaultChunkBytes;
    /// <summary>Payloads streamed at once (others wait their turn): what bounds the server's transfer
    /// buffers when many sites download or upload together.</summary>
    public int MaxConcurrentTransfers { get; init; } = 4;
    /// <summary>Transfers one site may have open or waiting at once: an honest site has one (two while
    /// a dropped stream is still being noticed).</summary>
    public int MaxTransfersPerSite { get; init; } = 2;
    /// <summary>A transfer that moves no chunk for this long is cancelled and frees its slot.</summary>
    public TimeSpan TransferIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>The sites the project provisioned (from the server's kit): a job naming another is
    /// refused at submission. Null checks no names (the simulator, kits that do not list sites).</summary>
    public IReadOnlyCollection<string>? ProvisionedSites { get; init; }
    /// <summary>A running job fails when fewer than min_clients of its sites have been connected for
    /// this long (never started, unreachable), instead of waiting for them forever.</summary>
    public TimeSpan SiteConnectTimeout { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>How soon a site with nothing to do asks again.</summary>
    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromMilliseconds(500);
}
