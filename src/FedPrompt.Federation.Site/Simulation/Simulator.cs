using FedPrompt.Federation.Jobs;
using FedPrompt.Federation.Server;
using FedPrompt.Federation.Site;
using FedPrompt.Formats;
using FedPrompt.Model;
using Microsoft.Extensions.Logging;

namespace FedPrompt.Federation.Simulation;

public sealed record SimulationOptions
{
    public required string JobFolder { get; init; }
    public required string Workspace { get; init; }
    /// <summary>Where the sites' relative data paths point.</summary>
    public required string DataFolder { get; init; }
    /// <summary>Run on site-1 … site-N instead of the sites the job names.</summary>
    public int? Sites { get; init; }
    /// <summary>Run this many rounds instead of the job's num_rounds.</summary>
    public int? Rounds { get; init; }
    /// <summary>Wraps each site's connection (site name, connection), e.g. to observe or disturb what crosses it.</summary>
    public Func<string, IFederationClient, IFederationClient>? ClientDecorator { get; init; }
    /// <summary>Adjusts the server's settings (heartbeat timing, payload limits).</summary>
    public Func<ServerOptions, ServerOptions>? ConfigureServer { get; init; }
}

/// <summary>
/// A whole federation in one process: the real server and the real site executors, connected in
/// process, with ONE frozen base model shared by every site (each site holds only its prompt
/// encoder and optimizer). Sites train one at a time by default; the result does not depend on
/// their order.
/// </summary>
public static class Simulator
{
    public static async Task<(JobState State, JobStore Store)> RunAsync(SimulationOptions options, LanguageModel model, ILoggerFactory logs,
        Action<JobState>? roundClosed = null, CancellationToken cancel = default)
    {
        var job = JobDefinition.Load(options.JobFolder);
        if (options.Sites is { } count)
        {
            if (count < 1) throw new ArgumentException($"--sites must be ≥ 1 (got {count})");
            job = job.WithSites(Enumerable.Range(1, count).Select(i => $"site-{i}").ToList());
        }
        if (options.Rounds is { } rounds) job = job with { Server = (job.Server with { NumRounds = rounds }).Validated("--rounds", job.Meta.Sites.Count) };
        var submitted = StageJob(options.JobFolder, job, Path.Combine(options.Workspace, "staged-job"));

        var serverOptions = new ServerOptions { Workspace = Path.Combine(options.Workspace, "server"), RetryAfter = TimeSpan.FromMilliseconds(50) };
        if (options.ConfigureServer is { } configure) serverOptions = configure(serverOptions);
        await using var server = new FederationServer(serverOptions, logs);
        var reply = server.Submit("simulator", job.Meta.Name, JobDefinition.Zip(submitted));
        if (!reply.Ok) throw new InvalidDataException(reply.Message);
        if (roundClosed is not null) server.RoundClosed += roundClosed;
        server.Start();

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var gate = new SemaphoreSlim(1);
        var executors = job.Meta.Sites.Select(site =>
        {
            var learner = new SiteLearner(site, model, options.DataFolder, logs.CreateLogger("site"));
            IFederationClient client = new InProcessFederationClient(server, site);
            if (options.ClientDecorator is { } decorate) client = decorate(site, client);
            var executor = new SiteExecutor(learner, client, logs.CreateLogger("site"),
                new SiteExecutorOptions { TrainingGate = gate });
            return Task.Run(() => executor.RunAsync(stop.Token), stop.Token);
        }).ToList();

        var final = await server.WhenOver(reply.JobId).WaitAsync(cancel);
        stop.Cancel();
        await Task.WhenAll(executors).ConfigureAwait(false);
        return (final, new JobStore(Path.Combine(serverOptions.Workspace, "jobs", reply.JobId)));
    }

    /// <summary>A copy of the job folder whose meta.json names the simulated sites.</summary>
    static string StageJob(string source, JobDefinition job, string staged)
    {
        if (Directory.Exists(staged)) Directory.Delete(staged, recursive: true);
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(staged, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        var meta = System.Text.Json.JsonSerializer.Serialize(job.Meta, StrictJson.Options);
        AtomicFile.WriteAllText(Path.Combine(staged, JobDefinition.MetaFile), meta);
        var serverConfig = System.Text.Json.JsonSerializer.Serialize(job.Server, StrictJson.Options);
        AtomicFile.WriteAllText(Path.Combine(staged, job.Meta.ServerApp, JobDefinition.ConfigFile), serverConfig);
        return staged;
    }
}
