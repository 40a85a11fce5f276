using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedPrompt.Federation.Protocol;
using Spectre.Console.Cli;

namespace FedPrompt.Cli.Commands.Federation;

/// <summary>A job's status, its sites and its rounds; with --follow, live until the job ends.</summary>
public sealed class AdminStatusCommand : Command<AdminStatusCommand.Settings>
{
    public sealed class Settings : AdminOutputSettings
    {
        [CommandArgument(0, "[JOB]")] [Description("Job id (default: the latest job)")] public string? Job { get; init; }
        [CommandOption("--follow")] [Description("Keep printing what changes (sites, rounds closing, time left) until the job ends; exit 0 if it finished, 1 if it failed or was aborted (default: print the status once)")] public bool Follow { get; init; }
        [CommandOption("--interval <SECONDS>")] [Description("With --follow, seconds between status requests (default 1)")] [Range(0.0, double.MaxValue, MinimumIsExclusive = true)] public double Interval { get; init; } = 1;
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var jobId = settings.Job ?? settings.Call(admin => admin.ListJobsAsync(new ListJobsRequest(), cancellationToken: cancellationToken).ResponseAsync)
            .Jobs.LastOrDefault()?.JobId ?? throw new InvalidDataException("the server has no jobs");
        JobStatusReply Poll() => settings.Call(admin => admin.JobStatusAsync(new JobStatusRequest { JobId = jobId }, cancellationToken: cancellationToken).ResponseAsync);
        if (settings.Follow)
        {
            var final = new JobFollower(Poll, TimeSpan.FromSeconds(settings.Interval), settings.Json).Follow(cancellationToken);
            if (final.Job.Status != "finished") throw new InvalidDataException($"job {jobId} {final.Job.Status}: {final.Job.Message}");
            return 0;
        }
        var reply = Poll();
        if (settings.Json)
        {
            ScriptJson.Write(AdminJson.Status(reply));
            return 0;
        }
        var job = reply.Job;
        // One plain line first, so scripts can wait for a status.
        Console.Out.WriteLine($"{job.JobId} {job.Status} {job.RoundsDone}/{job.NumRounds}");
        if (job.Message.Length > 0) Console.Out.WriteLine(job.Message);
        var sites = new ResultTable("site", "connection", "activity");
        foreach (var site in reply.Sites) sites.Add(site.Name, site.Connection, site.Activity);
        sites.Write();
        var rounds = new ResultTable("round", "sites", "validation loss", "validation accuracy");
        foreach (var round in reply.Rounds)
            rounds.Add(round.Round.ToString(), string.Join(", ", round.Sites), JobProgress.Loss(round.ValidationLoss), JobProgress.Accuracy(round.ValidationAccuracy));
        rounds.Write();
        if (JobProgress.Remaining(reply) is not null) Console.Out.WriteLine(JobProgress.Eta(reply));
        return 0;
    }
}
