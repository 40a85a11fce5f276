using System.Text.Json;
using System.Text.Json.Serialization;

namespace FedPrompt.Federation.Server;

public static class JobStatuses
{
    public const string Submitted = "submitted";
    public const string Running = "running";
    public const string Finished = "finished";
    public const string Failed = "failed";
    public const string Aborted = "aborted";

    public static bool IsOver(string status) => status is Finished or Failed or Aborted;
}

/// <summary>One site's accepted contribution to a round.</summary>
public sealed record SiteRecord(string Site, long Steps, IReadOnlyDictionary<string, double> Metrics);

/// <summary>A closed round: who contributed, who was turned away and why, and the global model's
/// validation metrics: their step-weighted mean over the sites, and the median of the sites' losses,
/// which picks the best model (one site's report cannot move a median of three).</summary>
public sealed record RoundRecord(int Round, string Kind, IReadOnlyList<SiteRecord> Sites, IReadOnlyList<string> Rejected,
    double? ValidationLoss, double? ValidationAccuracy, DateTimeOffset Closed, IReadOnlyDictionary<string, double>? Aggregation = null,
    double? MedianValidationLoss = null, IReadOnlyList<string>? Drawn = null);

/// <summary>
/// Everything needed to resume a job after a server restart; written atomically after every round
/// and read back at start-up. The model files it names were written before it, so it never points
/// at a file that is not complete.
/// </summary>
public sealed record JobState
{
    public required string JobId { get; init; }
    public required string Name { get; init; }
    public required string SubmittedBy { get; init; }
    public required DateTimeOffset Submitted { get; init; }
    public string Status { get; init; } = JobStatuses.Submitted;
    public int NumRounds { get; init; }
    public string? Message { get; init; }
    /// <summary>The next training round to run (rounds done so far).</summary>
    public int NextRound { get; init; }
    public bool FinalValidationDone { get; init; }
    /// <summary>The committed global model, models/global-r{round}.safetensors (relative to the job folder).</summary>
    public string? GlobalFile { get; init; }
    public string? BestFile { get; init; }
    public int BestRound { get; init; } = -1;
    /// <summary>The best round's median validation loss over its sites.</summary>
    public double? BestLoss { get; init; }
    public string? BaseModelJson { get; init; }
    /// <summary>The SHA-256 of the initial encoder a quorum of sites agreed on (<see cref="JobIdentity"/>).</summary>
    public string? InitialEncoderSha256 { get; init; }
    public IReadOnlyList<string> Answers { get; init; } = [];
    public IReadOnlyList<RoundRecord> Rounds { get; init; } = [];

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
