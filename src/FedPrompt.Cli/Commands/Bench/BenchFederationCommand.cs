using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using FedPrompt.Federation.Grpc;
using FedPrompt.Federation.Jobs;
using FedPrompt.Federation.Protocol;
using FedPrompt.Federation.Provisioning;
using FedPrompt.Federation.Server;
using FedPrompt.Federation.Site;
using FedPrompt.Federation.Wire;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console.Cli;

namespace FedPrompt.Cli.Commands.Bench;

/// <summary>
/// The federation's own cost: sites that answer at once with a 345M-shaped mlp encoder update
/// (4.2M parameters) over real gRPC with mutual TLS on loopback. Reports the wall time of a round
/// (serialise, transfer both ways, aggregate, persist) and, with the server as its own process, the
/// server's memory above its idle size while many sites upload at once.
/// </summary>
public sealed class BenchFederationCommand : Command<BenchFederationCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--sites <N>")] [Description("Synthetic sites (default 3)")] [Range(1, int.MaxValue)] public int Sites { get; init; } = 3;
        [CommandOption("--rounds <N>")] [Description("Rounds to time (default 5)")] [Range(1, int.MaxValue)] public int Rounds { get; init; } = 5;
        [CommandOption("--hidden <N>")] [Description("Model width the encoder is shaped for (default 1024: the 345M model)")] [Range(1, int.MaxValue)] public int Hidden { get; init; } = 1024;
        [CommandOption("--train-seconds <S>")] [Description("A round's local training time to put the overhead in proportion in seconds (default: one epoch of 604 examples at bench ptuning's 1.80 examples/s)")]
        public double TrainSeconds { get; init; } = 604 / 1.80;
        [CommandOption("--server-process")] [Description("Run the server as a separate fedprompt process and report its memory (default: in this process)")] public bool ServerProcess { get; init; }
        [CommandOption("--server-heap-limit-mb <MB>")] [Description("Cap the server process's managed heap (DOTNET_GCHeapHardLimit), in MiB, to show how little it needs (default: no cap)")] [Range(1, int.MaxValue)] public int? ServerHeapLimitMegabytes { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken) =>
        Run(settings, cancellationToken).GetAwaiter().GetResult();

    static async Task<int> Run(Settings settings, CancellationToken cancel)
    {
        var folder = Directory.CreateTempSubdirectory("fedprompt-bench-").FullName;
        try
        {
            var sites = Enumerable.Range(1, settings.Sites).Select(i => $"site-{i}").ToList();
            int port = LoopbackPort.Free();
            Provisioner.Provision(new ProjectDefinition("bench", new ServerDefinition("server", "localhost", port), sites, ["admin"], 1), Path.Combine(folder, "kits"));
            var job = WriteJob(Path.Combine(folder, "job"), sites, settings.Rounds);
            var shape = SyntheticLearner.MlpEncoderShape(settings.Hidden);
            double modelMb = shape.ParameterCount * 4 / 1048576.0;

            Process? serverProcess = null;
            FederationServer? server = null;
            ServerHost? host = null;
            using var serverKit = StartupKit.Load(Path.Combine(folder, "kits", "server"));
            if (settings.ServerProcess)
            {
                var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "fedprompt.dll"), "server", "--kit", serverKit.Folder,
                    "--workspace", Path.Combine(folder, "workspace"), "--heartbeat-interval", "1"]) { RedirectStandardOutput = true, RedirectStandardError = true };
                if (settings.ServerHeapLimitMegabytes is { } limit) start.Environment["DOTNET_GCHeapHardLimit"] = $"0x{(long)limit << 20:X}";
                serverProcess = Process.Start(start)!;
                await WaitForPort(port, cancel);
            }
            else
            {
                server = new FederationServer(new ServerOptions { Workspace = Path.Combine(folder, "workspace") }, Logs.Console(Microsoft.Extensions.Logging.LogLevel.Warning));
                server.Start();
                host = await ServerHost.StartAsync(server, serverKit, IPAddress.Loopback, port, NullLoggerFactory.Instance);
            }
            double idleMb = serverProcess is null ? 0 : Memory(serverProcess.Id).Current;

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            var executors = sites.Select((site, i) =>
            {
                var kit = StartupKit.Load(Path.Combine(folder, "kits", site));
                var channel = Channels.ToServer(kit);
                var client = new GrpcFederationClient(new FedPrompt.Federation.Protocol.Federation.FederationClient(channel), 1L << 30);
                return Task.Run(() => new SiteExecutor(new SyntheticLearner(site, shape, i), client, Logs.Console(Microsoft.Extensions.Logging.LogLevel.Warning).CreateLogger("site"),
                    new SiteExecutorOptions { TrainingGate = new SemaphoreSlim(1) }).RunAsync(stop.Token));
            }).ToList();

            using var adminKit = StartupKit.Load(Path.Combine(folder, "kits", "admin"));
            using var adminChannel = Channels.ToServer(adminKit);
            var admin = new Admin.AdminClient(adminChannel);
            var zip = JobDefinition.Zip(job);
            using (var call = admin.SubmitJob())
            {
                await call.RequestStream.WriteAsync(new JobUpload { Header = new JobUploadHeader { Name = "bench", Payload = Payloads.Describe(zip).ToWire() } });
                foreach (var chunk in Payloads.Chunks(zip, Payloads.DefaultChunkBytes)) await call.RequestStream.WriteAsync(new JobUpload { Chunk = Google.Protobuf.ByteString.CopyFrom(chunk.Span) });
                await call.RequestStream.CompleteAsync();
                var reply = await call.ResponseAsync;
                if (!reply.Ok) throw new InvalidOperationException(reply.Message);
            }

            double peakMb = 0;
            JobStatusReply status;
            do
            {
                await Task.Delay(200, cancel);
                if (serverProcess is not null) peakMb = Math.Max(peakMb, Memory(serverProcess.Id).Peak);
                var jobs = await admin.ListJobsAsync(new ListJobsRequest());
                status = await admin.JobStatusAsync(new JobStatusRequest { JobId = jobs.Jobs[0].JobId });
            }
            while (!JobStatuses.IsOver(status.Job.Status));
            stop.Cancel();
            await Task.WhenAll(executors);

            var state = JsonSerializer.Deserialize<JobState>(File.ReadAllText(Directory.GetFiles(Path.Combine(folder, "workspace", "jobs"), JobStore.StateFile, SearchOption.AllDirectories)[0]), JobState.Json)!;
            // Round r's wall time runs from the close of round r−1 to its own close.
            var closes = state.Rounds.Where(r => r.Kind == "train").Select(r => r.Closed).ToList();
            var roundSeconds = closes.Zip(closes.Skip(1), (a, b) => (b - a).TotalSeconds).ToList();
            double overhead = roundSeconds.Count > 0 ? roundSeconds.Average() : double.NaN;
            Console.Out.WriteLine(JsonSerializer.Serialize(new
            {
                sites = settings.Sites,
                status = status.Job.Status,
                encoder_parameters = shape.ParameterCount,
                encoder_mb = Math.Round(modelMb, 1),
                round_overhead_s = Math.Round(overhead, 3),
                train_seconds_per_round = Math.Round(settings.TrainSeconds, 1),
                overhead_fraction = Math.Round(overhead / (overhead + settings.TrainSeconds), 4),
                server_idle_mb = serverProcess is null ? (double?)null : Math.Round(idleMb, 1),
                server_peak_mb = serverProcess is null ? (double?)null : Math.Round(peakMb, 1),
                server_peak_above_idle_in_models = serverProcess is null ? (double?)null : Math.Round((peakMb - idleMb) / modelMb, 2),
            }));
            if (host is not null) await host.DisposeAsync();
            if (server is not null) await server.DisposeAsync();
            serverProcess?.Kill(entireProcessTree: true);
            return 0;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    static string WriteJob(string folder, IReadOnlyList<string> sites, int rounds)
    {
        Directory.CreateDirectory(Path.Combine(folder, "app_server"));
        Directory.CreateDirectory(Path.Combine(folder, "app_site"));
        File.WriteAllText(Path.Combine(folder, "meta.json"), new JsonObject { ["name"] = "bench", ["sites"] = new JsonArray(sites.Select(s => (JsonNode)s).ToArray()) }.ToJsonString());
        File.WriteAllText(Path.Combine(folder, "app_server", "config.json"), new JsonObject { ["num_rounds"] = rounds, ["min_clients"] = sites.Count, ["wait_time_after_min_received"] = 0 }.ToJsonString());
        File.WriteAllText(Path.Combine(folder, "app_site", "config.json"), new JsonObject { ["train"] = "unused", ["validation"] = "unused" }.ToJsonString());
        return folder;
    }

    static async Task WaitForPort(int port, CancellationToken cancel)
    {
        for (int i = 0; i < 200; i++)
        {
            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, cancel);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(100, cancel);
            }
        }
        throw new TimeoutException($"the server did not listen on port {port}");
    }

    /// <summary>Another process's resident set now and at its peak, in MiB.</summary>
    static (double Current, double Peak) Memory(int pid)
    {
        double Read(string key) => long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(key, StringComparison.Ordinal))[key.Length..].Trim().Split(' ')[0]) / 1024.0;
        return (Read("VmRSS:"), Read("VmHWM:"));
    }
}
