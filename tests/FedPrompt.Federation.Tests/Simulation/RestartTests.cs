using FedPrompt.Federation.Jobs;
using FedPrompt.Federation.Messages;
using FedPrompt.Federation.Server;
using FedPrompt.Federation.Simulation;
using FedPrompt.Federation.Site;
using FedPrompt.Model;
using FedPrompt.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedPrompt.Federation.Tests.Simulation;

public class RestartTests
{
    /// <summary>Each call goes to whichever server is current, as a reconnecting site would.</summary>
    sealed class CurrentServerClient(Func<FederationServer> current, string site) : IFederationClient
    {
        IFederationClient Inner => new InProcessFederationClient(current(), site);
        public Task<SiteWelcome> HelloAsync(SiteHello request, CancellationToken cancel) => Inner.HelloAsync(request, cancel);
        public Task<HeartbeatAnswer> HeartbeatAsync(SiteHeartbeat request, CancellationToken cancel) => Inner.HeartbeatAsync(request, cancel);
        public Task<TaskAssignment> NextTaskAsync(string request, CancellationToken cancel) => Inner.NextTaskAsync(request, cancel);
        public Task<ResultVerdict> SubmitResultAsync(SiteResult header, byte[]? payload, CancellationToken cancel) => Inner.SubmitResultAsync(header, payload, cancel);
    }

    [Theory]
    [InlineData("fedavg")]
    [InlineData("fedadam")]
    public async Task AServerStoppedAfterARoundResumesAtTheNextOne(string strategy)
    {
        using var folder = new TemporaryDirectory();
        var data = Path.Combine(folder.Path, "data");
        TestJobs.WriteData(data, sites: 2);
        var job = TestJobs.Write(Path.Combine(folder.Path, "job"), sites: 2, rounds: 4, minClients: 2,
            new System.Text.Json.Nodes.JsonObject { ["strategy"] = strategy });
        using var model = LanguageModel.Load(RepositoryFiles.Engine("tiny-gpt2"));
        var options = new ServerOptions { Workspace = Path.Combine(folder.Path, "server"), RetryAfter = TimeSpan.FromMilliseconds(50) };

        var first = new FederationServer(options, NullLoggerFactory.Instance);
        var current = first;
        var afterRound1 = new TaskCompletionSource();
        first.RoundClosed += s =>
        {
            if (s.Rounds.Count == 2) afterRound1.TrySetResult();
        };
        var jobId = first.Submit("test", "synthetic", JobDefinition.Zip(job)).JobId;
        first.Start();

        using var stop = new CancellationTokenSource();
        var gate = new SemaphoreSlim(1);
        var sites = new[] { "site-1", "site-2" }.Select(site => Task.Run(() => new SiteExecutor(new SiteLearner(site, model, data),
            new CurrentServerClient(() => current, site), NullLogger.Instance,
            new SiteExecutorOptions { TrainingGate = gate, InitialBackoff = TimeSpan.FromMilliseconds(50) }).RunAsync(stop.Token))).ToList();

        await afterRound1.Task.WaitAsync(TimeSpan.FromMinutes(2));
        await first.DisposeAsync();
        Assert.Equal(2, new JobStore(Path.Combine(options.Workspace, "jobs", jobId)).LoadState().NextRound);

        await using var second = new FederationServer(options, NullLoggerFactory.Instance);
        current = second;
        second.Start();
        var state = await second.WhenOver(jobId).WaitAsync(TimeSpan.FromMinutes(2));
        stop.Cancel();
        await Task.WhenAll(sites);

        Assert.Equal(JobStatuses.Finished, state.Status);
        // Every round once, none repeated or lost: rounds 0–3 trained, round 4 validated.
        Assert.Equal([0, 1, 2, 3, 4], state.Rounds.Select(r => r.Round));
        Assert.All(state.Rounds, r => Assert.Equal(2, r.Sites.Count));
        // A server optimizer kept its state beside the job: the last two rounds' (3 and 2).
        if (strategy != "fedavg")
            Assert.Equal(["r2.safetensors", "r3.safetensors"],
                Directory.GetFiles(Path.Combine(options.Workspace, "jobs", jobId, "server-optimizer")).Select(Path.GetFileName).Order());
    }
}
