using System.Text.Json.Nodes;
using FedPrompt.Federation.Jobs;
using FedPrompt.Federation.Server;
using FedPrompt.Federation.Simulation;
using FedPrompt.Federation.Site;
using FedPrompt.Federation.Tests.Provisioning;
using FedPrompt.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedPrompt.Federation.Tests.Server;

/// <summary>A server and its scripted sites: in process, or over real gRPC with mutual TLS on
/// loopback (each site with its own provisioned certificate). Its clock never moves, so no
/// heartbeat, connect timeout or wait_time_after_min_received (120 s) ends a round: only the
/// sites' answers do. The server starts its job once the sites <see cref="Run"/> starts are connected.</summary>
public sealed class ScriptedFederation : IAsyncDisposable
{
    readonly CancellationTokenSource _stop = new();
    readonly List<Task> _sites = [];
    readonly LoopbackNetwork? _network;

    ScriptedFederation(FederationServer server, string jobId, LoopbackNetwork? network)
    {
        Server = server;
        JobId = jobId;
        _network = network;
    }

    public FederationServer Server { get; }
    public string JobId { get; }

    public static ScriptedFederation Start(TemporaryDirectory folder, int sites, int rounds, int minClients, JsonObject? settings = null, bool overGrpc = false)
    {
        var job = TestJobs.Write(Path.Combine(folder.Path, "job"), sites, rounds, minClients, Settings(settings));
        var server = new FederationServer(new ServerOptions { Workspace = Path.Combine(folder.Path, "server"), RetryAfter = TimeSpan.FromMilliseconds(50) },
            NullLoggerFactory.Instance, new ManualClock());
        var jobId = server.Submit("test", "synthetic", JobDefinition.Zip(job)).JobId;
        return new ScriptedFederation(server, jobId, overGrpc ? LoopbackNetwork.StartAsync(server, "scripted", sites).GetAwaiter().GetResult() : null);
    }

    IFederationClient Connect(string site) => _network is null ? new InProcessFederationClient(Server, site) : _network.SiteClient(site);

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
            var client = Connect(learner.Site);
            var executor = new SiteExecutor(learner, connect?.Invoke(learner.Site, client) ?? client, NullLogger.Instance);
            _sites.Add(Task.Run(() => executor.RunAsync(_stop.Token)));
        }
        // The job starts once every scripted site is connected: a round does not wait for a site that
        // is not, and a test's liar must be in every round however slow its TLS handshake.
        var connecting = System.Diagnostics.Stopwatch.StartNew();
        while (!learners.All(l => Server.Sites.IsAlive(l.Site)))
        {
            if (connecting.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException("the scripted sites did not connect within 30 s");
            Thread.Sleep(10);
        }
        Server.Start();
    }

    public Task<JobState> Over() => Server.WhenOver(JobId).WaitAsync(TimeSpan.FromMinutes(1));

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await Task.WhenAll(_sites);
        if (_network is not null) await _network.DisposeAsync();
        await Server.DisposeAsync();
    }
}
