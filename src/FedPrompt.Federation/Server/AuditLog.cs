using System.Text.Json;

namespace FedPrompt.Federation.Server;

/// <summary>One audited event: who did what, when, and the outcome. <paramref name="Repeats"/>: how
/// many identical events beyond this one the line stands for (see <see cref="AuditLog"/>).</summary>
public sealed record AuditEntry(DateTimeOffset Time, string Actor, string Event, string? Job = null, int? Round = null, string? Detail = null,
    int? Repeats = null);

/// <summary>
/// The server's append-only record of who connected, which jobs were submitted and aborted by whom,
/// and which results were accepted or rejected and why: one JSON line per event, appended and
/// flushed to disk as it happens (never rewritten), in workspace/audit.jsonl. An event identical to
/// one written less than <see cref="RepeatWindow"/> ago (a site retrying a refused request in a
/// loop) is counted, not written: the next line for it, a minute or more later, or the line written
/// when the server stops, carries the count — so a flood costs a line a minute, not 36,000.
/// </summary>
public sealed class AuditLog(string path, TimeProvider clock)
{
    public const string FileName = "audit.jsonl";
    public static readonly TimeSpan RepeatWindow = TimeSpan.FromMinutes(1);
    // Kept small: past this many distinct recent events the old ones' counts are written out.
    const int MaxRecent = 4096;
    readonly Lock _gate = new();
    readonly Dictionary<(string Actor, string Event, string? Job, int? Round, string? Detail), (DateTimeOffset Written, int Unwritten)> _recent = [];
    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public string Path { get; } = path;

    public void Record(string actor, string @event, string? job = null, int? round = null, string? detail = null)
    {
        var now = clock.GetUtcNow();
        var key = (actor, @event, job, round, detail);
        lock (_gate)
        {
            int repeats = 0;
            if (_recent.TryGetValue(key, out var last))
            {
                if (now - last.Written < RepeatWindow)
                {
                    _recent[key] = (last.Written, last.Unwritten + 1);
                    return;
                }
                repeats = last.Unwritten;
            }
            if (_recent.Count >= MaxRecent) WriteUnwritten(now, olderThan: now - RepeatWindow);
            _recent[key] = (now, 0);
            Write(new AuditEntry(now, actor, @event, job, round, detail, repeats > 0 ? repeats : null));
        }
    }

    /// <summary>Writes the counts of events not yet written (when the server stops).</summary>
    public void Flush()
    {
        lock (_gate) WriteUnwritten(clock.GetUtcNow(), olderThan: DateTimeOffset.MaxValue);
    }

    void WriteUnwritten(DateTimeOffset now, DateTimeOffset olderThan)
    {
        foreach (var (key, (written, unwritten)) in _recent.Where(r => r.Value.Written < olderThan).ToList())
        {
            _recent.Remove(key);
            if (unwritten > 0)
                Write(new AuditEntry(now, key.Actor, key.Event, key.Job, key.Round, key.Detail, unwritten > 1 ? unwritten - 1 : null));
        }
    }

    void Write(AuditEntry entry)
    {
        using var file = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
        file.Write(System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(entry, Json) + "\n"));
        file.Flush(flushToDisk: true);
    }

    public static IReadOnlyList<AuditEntry> Read(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<AuditEntry>(l, Json)!).ToList();
}
