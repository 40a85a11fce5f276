using FedPrompt.Federation.Jobs;
using FedPrompt.Federation.Server;
using FedPrompt.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedPrompt.Federation.Tests.Server;

/// <summary>A job that cannot run because of its sites says so instead of waiting forever.</summary>
public class JobSiteGuardTests
{
    [Fact]
    public async Task AJobNamingASiteTheProjectNeverProvisionedIsRefusedAtSubmission()
    {
        using var folder = new TemporaryDirectory();
        var job = TestJobs.Write(Path.Combine(folder.Path, "job"), sites: 3, rounds: 1, minClients: 2);
        var options = new ServerOptions { Workspace = Path.Combine(folder.Path, "server"), ProvisionedSites = ["site-1", "site-2"] };
        await using var server = new FederationServer(options, NullLoggerFactory.Instance);

        var reply = server.Submit("admin", "synthetic", JobDefinition.Zip(job));

        Assert.False(reply.Ok);
        Assert.Equal("the job names site-3, which this project never provisioned (its sites: site-1, site-2)", reply.Message);
        Assert.Empty(server.Jobs());
        Assert.Empty(Directory.GetDirectories(Path.Combine(options.Workspace, "jobs")));
        Assert.Contains(AuditLog.Read(server.Audit.Path), e => e is { Event: "job refused" } && e.Detail!.Contains("site-3"));
    }

    [Fact]
    public async Task AJobWhoseSitesNeverConnectFailsAfterTheSiteConnectTimeout()
    {
        using var folder = new TemporaryDirectory();
        var job = TestJobs.Write(Path.Combine(folder.Path, "job"), sites: 2, rounds: 1, minClients: 2);
        var clock = new ManualClock();
        var options = new ServerOptions { Workspace = Path.Combine(folder.Path, "server"), SiteConnectTimeout = TimeSpan.FromMinutes(5) };
        await using var server = new FederationServer(options, NullLoggerFactory.Instance, clock);
        var jobId = server.Submit("admin", "synthetic", JobDefinition.Zip(job)).JobId;
        server.Start();
        while (server.Job(jobId)!.Status != JobStatuses.Running) await Task.Delay(20);

        Assert.Equal([new JobSiteState("site-1", "never connected", "waiting for a task"), new JobSiteState("site-2", "never connected", "waiting for a task")],
            server.JobSites(jobId));
        // Still waiting a second before the timeout; then the clock moves on in steps (a timer the
        // workflow is just arming when the clock jumps would be due only after the jump).
        clock.Advance(TimeSpan.FromSeconds(299));
        await Task.Delay(200);
        Assert.Equal(JobStatuses.Running, server.Job(jobId)!.Status);
        var over = server.WhenOver(jobId);
        for (int second = 0; second < 60 && !over.IsCompleted; second++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(over, Task.Delay(100));
        }
        var state = await over.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(JobStatuses.Failed, state.Status);
        Assert.Equal("fewer than min_clients 2 of its sites were connected for 300 s (site-1 never connected, site-2 never connected)", state.Message);
    }
}
