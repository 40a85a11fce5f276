using FedPrompt.Federation.Protocol;

namespace FedPrompt.Cli.Commands.Federation;

/// <summary>The admin API's replies in the shape --json prints them (<see cref="ScriptJson"/>).</summary>
public static class AdminJson
{
    public static object Job(JobSummary job) => new
    {
        job_id = job.JobId,
        name = job.Name,
        status = job.Status,
        rounds_done = job.RoundsDone,
        num_rounds = job.NumRounds,
        best_validation_loss = ScriptJson.Value(job.BestValidationLoss),
        best_round = job.BestRound >= 0 ? job.BestRound : (int?)null,
        submitted_by = job.SubmittedBy,
        message = job.Message.Length > 0 ? job.Message : null,
    };

    public static object Status(JobStatusReply reply) => new
    {
        job = Job(reply.Job),
        sites = reply.Sites.Select(s => new { name = s.Name, connection = s.Connection, activity = s.Activity.Length > 0 ? s.Activity : null }),
        rounds = reply.Rounds.Select(r => new
        {
            round = r.Round,
            sites = r.Sites,
            validation_loss = ScriptJson.Value(r.ValidationLoss),
            validation_accuracy = ScriptJson.Value(r.ValidationAccuracy),
            closed = DateTimeOffset.FromUnixTimeMilliseconds(r.ClosedUnixMs),
        }),
        eta_seconds = JobProgress.Remaining(reply)?.TotalSeconds,
    };
}
