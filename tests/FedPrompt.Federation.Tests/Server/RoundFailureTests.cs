using System.Text.Json.Nodes;
using FedPrompt.Federation.Jobs;
using FedPrompt.Federation.Server;
using FedPrompt.Federation.Simulation;
using FedPrompt.Federation.Site;
using FedPrompt.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedPrompt.Federation.Tests.Server;

/// <summary>A round whose sites have all answered with fewer than min_clients results accepted
/// fails the job, naming each site's reason, instead of waiting forever (train_timeout is 0).</summary>
public class RoundFailureTests
{
    [Fact]
    public async Task ATrainingRoundThatCannotReachMinClientsFailsTheJobNamingEachSitesReason()
    {
        using var folder = new TemporaryDirectory();
        await using var federation = ScriptedFederation.Start(folder, sites: 3, rounds: 2, minClients: 3);

        federation.Run(new ScriptedLearner("site-1"), new ScriptedLearner("site-2") { TrainingError = "CUDA out of memory" },
            new ScriptedLearner("site-3") { Steps = 0 });
        var state = await federation.Over();

        Assert.Equal(JobStatuses.Failed, state.Status);
        Assert.Equal("round 0: 1 of min_clients 3 results, no site left to answer; site-2: the site's task failed: CUDA out of memory; "
            + "site-3: 0 local steps: an update must come from at least one optimizer step", state.Message);
        Assert.Empty(state.Rounds);
        Assert.Contains(AuditLog.Read(federation.Server.Audit.Path), e => e is { Actor: "server", Event: "job failed" } && e.Detail == state.Message);
    }

    [Fact]
    public async Task AFinalValidationThatCannotReachMinClientsFailsTheJob()
    {
        using var folder = new TemporaryDirectory();
        await using var federation = ScriptedFederation.Start(folder, sites: 2, rounds: 1, minClients: 2);

        federation.Run(new ScriptedLearner("site-1"), new ScriptedLearner("site-2") { ValidationError = "val.jsonl: no such file" });
        var state = await federation.Over();

        Assert.Equal(JobStatuses.Failed, state.Status);
        Assert.Equal("round 1 (final validation): 1 of min_clients 2 results, no site left to answer; site-2: the site's task failed: val.jsonl: no such file",
            state.Message);
        Assert.Equal(["site-1", "site-2"], Assert.Single(state.Rounds).Sites.Select(s => s.Site));
    }

    [Fact]
    public async Task AFailingSiteDoesNotFailAJobThatStillHasMinClients()
    {
        using var folder = new TemporaryDirectory();
        await using var federation = ScriptedFederation.Start(folder, sites: 3, rounds: 2, minClients: 2);

        federation.Run(new ScriptedLearner("site-1"), new ScriptedLearner("site-2") { TrainingError = "CUDA out of memory" }, new ScriptedLearner("site-3"));
        var state = await federation.Over();

        Assert.Equal(JobStatuses.Finished, state.Status);
        Assert.Equal(3, state.Rounds.Count);
        foreach (var round in state.Rounds.Take(2))
        {
            Assert.Equal(["site-1", "site-3"], round.Sites.Select(s => s.Site));
            // The round waited for site-2's answer: with the clock still, nothing else closes it.
            Assert.Equal(["site-2: the site's task failed: CUDA out of memory"], round.Rejected);
        }
        Assert.Equal(["site-1", "site-2", "site-3"], state.Rounds[2].Sites.Select(s => s.Site));
    }

    [Fact]
    public async Task ASiteThatHasNotAnsweredYetKeepsARoundShortOfMinClientsOpen()
    {
        using var folder = new TemporaryDirectory();
        await using var federation = ScriptedFederation.Start(folder, sites: 3, rounds: 1, minClients: 2);

        federation.Run(new ScriptedLearner("site-1") { TrainingError = "CUDA out of memory" }, new ScriptedLearner("site-2"));
        using (var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1)))
            while (!JobStatuses.IsOver(federation.Server.Job(federation.JobId)!.Status)
                   && federation.Server.JobSites(federation.JobId).Count(s => s.Activity == "answered round 0") < 2)
                await Task.Delay(20, deadline.Token);
        // The job's loop steps on real time (every 200 ms and on every result): give it a few steps
        // in which it could wrongly give up on site-3, which has never connected.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(JobStatuses.Running, federation.Server.Job(federation.JobId)!.Status);

        federation.Run(new ScriptedLearner("site-3"));
        var state = await federation.Over();

        Assert.Equal(JobStatuses.Finished, state.Status);
        Assert.Equal(["site-2", "site-3"], state.Rounds[0].Sites.Select(s => s.Site));
    }
}
