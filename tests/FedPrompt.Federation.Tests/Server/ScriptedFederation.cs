using System.Text.Json.Nodes;
using FedPrompt.Federation.Jobs;
using FedPrompt.Federation.Server;
using FedPrompt.Federation.Simulation;
using FedPrompt.Federation.Site;
using FedPrompt.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedPrompt.Federation.Tests.Server;

/// <summary>A server and its scripted sites in process. Its clock never moves, so no heartbeat,
/// connect timeout or wait_time_after_min_received (120 s) ends a round: only the sites' answers do.</summary>
public sealed class ScriptedFederation : IAsyncDisposable
{
    readonly CancellationTokenSource _stop = new();
    readonly List<Task> _sites = [];

    ScriptedFederation(FederationServer server, string jobId)
    {
        Server = server;
        JobId = jobId;
    }

    public FederationServer Server { get; }
    public string JobId { get; }

    public static ScriptedFederation Start(TemporaryDirectory folder, int sites, int rounds, int minClients, JsonObject? settings = null)
    {
        var job = TestJobs.Write(Path.Combine(folder.Path, "job"), sites, rounds, minClients, Settings(settings));
        var server = new FederationServer(new ServerOptions { Workspace = Path.Combine(folder.Path, "server"), RetryAfter = TimeSpan.FromMilliseconds(50) },
            NullLoggerFactory.Instance, new ManualClock());
        var jobId = server.Submit("test", "synthetic", JobDefinition.Zip(job)).JobId;
        server.Start();
        return new ScriptedFederation(server, jobId);
    }

    /// <param name="extra">The server app's settings beyond a 120 s wait_time_after_min_received.</param>
    static JsonObject Settings(JsonObject? extra)
    {
        var settings = new JsonObject { ["wait_time_after_min_received"] = 120 };
        foreach (var (key, value) in extra ?? []) settings[key] = value?.DeepClone();
        return settings;
    }

    public void Run(params ISiteLearner[] learners) => Run(null, learners);

    /// <param name="connect">Wraps a site's connection (a dishonest site's lies), or null.</param>
    public void Run(Func<string, IFederationClient, IFederationClient>? connect, params ISiteLearner[] learners)
    {
        foreach (var learner in learners)
        {
            IFederationClient client = new InProcessFederationClient(Server, learner.Site);
            var executor = new SiteExecutor(learner, connect?.Invoke(learner.Site, client) ?? client, NullLogger.Instance);
            _sites.Add(Task.Run(() => executor.RunAsync(_stop.Token)));
        }
    }

    public Task<JobState> Over() => Server.WhenOver(JobId).WaitAsync(TimeSpan.FromMinutes(1));

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await Task.WhenAll(_sites);
        await Server.DisposeAsync();
    }
}
