using FedPrompt.Federation.Protocol;

namespace FedPrompt.Cli.Commands.Federation;

/// <summary>
/// Follows a job until it is over by asking for its status every interval, printing only what
/// changed: the job's status line, a site's connection or activity, a round as it closes (the global
/// model's validation loss and accuracy, and the time left). With JSON, the whole status as one line
/// whenever any of that changes.
/// </summary>
public sealed class JobFollower(Func<JobStatusReply> poll, TimeSpan interval, bool json)
{
    string? _head;
    int _roundsShown;
    readonly Dictionary<string, string> _sites = new(StringComparer.Ordinal);

    public static bool IsOver(string status) => status is "finished" or "failed" or "aborted";

    /// <summary>The status the job ended with.</summary>
    public JobStatusReply Follow(CancellationToken cancel)
    {
        while (true)
        {
            var status = poll();
            var changes = Changes(status);
            if (changes.Count > 0)
            {
                if (json) ScriptJson.Write(AdminJson.Status(status));
                else foreach (var line in changes) Console.Out.WriteLine(line);
            }
            if (IsOver(status.Job.Status)) return status;
            Task.Delay(interval, cancel).GetAwaiter().GetResult();
        }
    }

    List<string> Changes(JobStatusReply status)
    {
        var lines = new List<string>();
        var job = status.Job;
        var head = $"{job.JobId} {job.Status} {job.RoundsDone}/{job.NumRounds}{(job.Message.Length > 0 ? $": {job.Message}" : "")}";
        if (head != _head) lines.Add(_head = head);
        foreach (var site in status.Sites)
        {
            var state = site.Activity.Length > 0 ? $"{site.Connection}, {site.Activity}" : site.Connection;
            if (_sites.GetValueOrDefault(site.Name) == state) continue;
            _sites[site.Name] = state;
            lines.Add($"  {site.Name}: {state}");
        }
        foreach (var round in status.Rounds.Skip(_roundsShown))
            lines.Add($"  round {round.Round} closed ({string.Join(", ", round.Sites)}): validation loss {JobProgress.Loss(round.ValidationLoss)}, " +
                $"accuracy {JobProgress.Accuracy(round.ValidationAccuracy)}; {JobProgress.Eta(status)}");
        _roundsShown = status.Rounds.Count;
        return lines;
    }
}
