using System.Text.Json.Nodes;
using FedPrompt.Federation.Grpc;
using FedPrompt.Testing;

namespace FedPrompt.Cli.Tests;

/// <summary>
/// A provisioned federation on loopback for process-level tests: kits, data, a job, and helpers to
/// start the server and sites as real processes and to watch the job's state on disk.
/// </summary>
public sealed class Deployment : IDisposable
{
    public static readonly TimeSpan Short = TimeSpan.FromSeconds(60);
    readonly List<FedPromptProcess> _processes = [];

    public Deployment(int sites, string project = "fpb")
    {
        Port = LoopbackPort.Free();
        Sites = Enumerable.Range(1, sites).Select(i => $"site-{i}").ToArray();
        Kits = Provision(Folder.Path, project, Port, Sites);
        Data = Path.Combine(Folder.Path, "data");
        TestJobs.WriteData(Data, sites);
    }

    public TemporaryDirectory Folder { get; } = new();
    public int Port { get; }
    public string[] Sites { get; }
    public string Kits { get; }
    public string Data { get; }
    public string Workspace => Path.Combine(Folder.Path, "workspace");
    public string Admin => Kit("admin@example.org");
    public string Kit(string name) => Path.Combine(Kits, name);

    public static string Provision(string folder, string project, int port, params string[] sites)
    {
        var definition = new JsonObject
        {
            ["name"] = project,
            ["server"] = new JsonObject { ["name"] = "server", ["host"] = "localhost", ["port"] = port },
            ["sites"] = new JsonArray(sites.Select(s => (JsonNode)s).ToArray()),
            ["admins"] = new JsonArray("admin@example.org"),
        };
        var file = Path.Combine(folder, $"{project}.json");
        File.WriteAllText(file, definition.ToJsonString());
        var kits = Path.Combine(folder, $"{project}-kits");
        var (exit, _, error) = FedPromptProcess.Run(Short, "provision", "--project", file, "--out", kits);
        Assert.True(exit == 0, error);
        return kits;
    }

    /// <summary>A job on the synthetic task; <paramref name="epochs"/> local epochs a round makes rounds last long enough to interrupt.</summary>
    public string Job(int rounds, int minClients, int epochs = 1, double waitAfterMin = 1)
    {
        var tuning = TestJobs.Tuning();
        tuning["epochs"] = epochs;
        return TestJobs.Write(Path.Combine(Folder.Path, $"job-{Guid.NewGuid():N}"), Sites.Length, rounds, minClients,
            new JsonObject { ["wait_time_after_min_received"] = waitAfterMin }, tuning);
    }

    /// <param name="options">More server options (e.g. --site-connect-timeout).</param>
    public FedPromptProcess Server(IReadOnlyDictionary<string, string>? environment = null, int? port = null, string? workspace = null, params string[] options) =>
        Track(FedPromptProcess.Start(environment ?? new Dictionary<string, string>(), ["server", "--kit", Kit("server"), "--workspace", workspace ?? Workspace,
            "--heartbeat-interval", "0.5", "--heartbeat-timeout", "3", .. port is null ? Array.Empty<string>() : ["--port", port.ToString()!], .. options]));

    public FedPromptProcess Site(string site, IReadOnlyDictionary<string, string>? environment = null) =>
        Track(FedPromptProcess.Start(environment ?? new Dictionary<string, string>(),
            "site", "--kit", Kit(site), "--model", RepositoryFiles.Engine("tiny-gpt2"), "--data", Data));

    FedPromptProcess Track(FedPromptProcess process)
    {
        _processes.Add(process);
        return process;
    }

    public string Submit(string job)
    {
        var (exit, output, error) = FedPromptProcess.Run(Short, "admin", "--kit", Admin, "submit", job);
        Assert.True(exit == 0, error);
        return output.Trim();
    }

    /// <summary>The job's state.json as the server last committed it (null before the first commit).</summary>
    public JsonObject? State(string jobId)
    {
        var path = Path.Combine(Workspace, "jobs", jobId, "state.json");
        return File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path))!.AsObject() : null;
    }

    public async Task<JsonObject> WaitFor(string jobId, Func<JsonObject, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var state = State(jobId);
            if (state is not null && condition(state)) return state;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{what} did not happen within {timeout}; state: {state?.ToJsonString()}\nprocesses:\n{string.Join("\n---\n", _processes.Select(p => p.Output + p.Error))}");
            await Task.Delay(200);
        }
    }

    public static int NextRound(JsonObject state) => state["next_round"]!.GetValue<int>();
    public static string Status(JsonObject state) => state["status"]!.GetValue<string>();

    /// <summary>(round, kind, sites) of every committed round.</summary>
    public static List<(int Round, string Kind, string[] Sites)> Rounds(JsonObject state) =>
        state["rounds"]!.AsArray().Select(r => (r!["round"]!.GetValue<int>(), r["kind"]!.GetValue<string>(),
            r["sites"]!.AsArray().Select(s => s!["site"]!.GetValue<string>()).ToArray())).ToList();

    public void Dispose()
    {
        foreach (var process in _processes) process.Dispose();
        Folder.Dispose();
    }
}
