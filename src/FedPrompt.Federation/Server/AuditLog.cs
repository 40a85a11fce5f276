using System.Text.Json;

namespace FedPrompt.Federation.Server;

/// <summary>One audited event: who did what, when, and the outcome.</summary>
public sealed record AuditEntry(DateTimeOffset Time, string Actor, string Event, string? Job = null, int? Round = null, string? Detail = null);

/// <summary>
/// The server's append-only record of who connected, which jobs were submitted and aborted by whom,
/// and which results were accepted or rejected and why: one JSON line per event, appended and
/// flushed to disk as it happens (never rewritten), in workspace/audit.jsonl.
/// </summary>
public sealed class AuditLog(string path, TimeProvider clock)
{
    public const string FileName = "audit.jsonl";
    readonly Lock _gate = new();
    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public string Path { get; } = path;

    public void Record(string actor, string @event, string? job = null, int? round = null, string? detail = null)
    {
        var line = JsonSerializer.Serialize(new AuditEntry(clock.GetUtcNow(), actor, @event, job, round, detail), Json) + "\n";
        lock (_gate)
        {
            using var file = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
            file.Write(System.Text.Encoding.UTF8.GetBytes(line));
            file.Flush(flushToDisk: true);
        }
    }

    public static IReadOnlyList<AuditEntry> Read(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<AuditEntry>(l, Json)!).ToList();
}
