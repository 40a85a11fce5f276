namespace FedPrompt.Federation.Messages;

/// <summary>A site introducing itself. <paramref name="PreviousSession"/> is the session this process
/// held before it lost its connection: while that session is alive only its holder may take it back.</summary>
public sealed record SiteHello(uint ProtocolVersion, string SoftwareVersion, string PreviousSession);

/// <summary>The server's answer to a Hello: the session that names the site's later calls.</summary>
public sealed record SiteWelcome(uint ProtocolVersion, string Session, TimeSpan HeartbeatInterval, int MaxChunkBytes);

/// <summary>A site's sign of life, naming the task it is working on ("" when none).</summary>
public sealed record SiteHeartbeat(string Session, string TaskId);

/// <summary><paramref name="Known"/>: the server knows the session; <paramref name="AbandonTask"/>: it no longer wants the task.</summary>
public sealed record HeartbeatAnswer(bool Known, bool AbandonTask);

/// <summary>What the server says to an administrator's job request.</summary>
public sealed record JobAnswer(bool Ok, string JobId, string Message);
