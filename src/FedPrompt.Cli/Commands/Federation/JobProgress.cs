using FedPrompt.Federation.Protocol;

namespace FedPrompt.Cli.Commands.Federation;

/// <summary>How a job is getting on, from its status: how long it has left, in words a person reads.</summary>
public static class JobProgress
{
    /// <summary>The mean time between the rounds closed so far times the rounds still to come (the
    /// training rounds and the final validation); null until two rounds have closed or once it is over.</summary>
    public static TimeSpan? Remaining(JobStatusReply status)
    {
        var closed = status.Rounds.Select(r => r.ClosedUnixMs).Order().ToList();
        int toCome = status.Job.NumRounds + 1 - status.Rounds.Count;
        if (closed.Count < 2 || toCome <= 0 || status.Job.Status is not ("running" or "submitted")) return null;
        var perRound = TimeSpan.FromMilliseconds((closed[^1] - closed[0]) / (double)(closed.Count - 1));
        return perRound * toCome;
    }

    public static string Eta(JobStatusReply status) =>
        Remaining(status) is { } left ? $"about {(left.TotalHours >= 1 ? left.ToString(@"h\:mm\:ss") : left.ToString(@"m\:ss"))} left" : "time left unknown yet";

    public static string Loss(double value) => double.IsNaN(value) ? "none yet" : value.ToString("F4");

    public static string Accuracy(double value) => double.IsNaN(value) ? "none yet" : value.ToString("F3");
}
