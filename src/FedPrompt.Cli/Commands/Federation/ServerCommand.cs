using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Net;
using FedPrompt.Federation.Grpc;
using FedPrompt.Federation.Provisioning;
using FedPrompt.Federation.Server;
using Microsoft.Extensions.Logging;
using Spectre.Console.Cli;

namespace FedPrompt.Cli.Commands.Federation;

/// <summary>Runs the federation server from its startup kit until stopped; jobs left running resume.</summary>
public sealed class ServerCommand : Command<ServerCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--log-level <LEVEL>")] [Description(Logs.LevelDescription)] public LogLevel LogLevel { get; init; } = LogLevel.Information;
        [CommandOption("--kit <DIR>", isRequired: true)] [Description("The server's startup kit")] public string Kit { get; init; } = "";
        [CommandOption("--workspace <DIR>")] [Description("Where jobs are kept (default: the kit's workspace/)")] public string? Workspace { get; init; }
        [CommandOption("--bind <ADDRESS>")] [Description("IP address to listen on (default: all)")] public string? Bind { get; init; }
        [CommandOption("--port <N>")] [Description("TCP port to listen on (default: the kit's)")] [Range(1, 65535)] public int? Port { get; init; }
        [CommandOption("--heartbeat-timeout <SECONDS>")] [Description("Declare a silent site gone after this many seconds (default 60)")] [Range(0.0, double.MaxValue, MinimumIsExclusive = true)] public double HeartbeatTimeout { get; init; } = 60;
        [CommandOption("--heartbeat-interval <SECONDS>")] [Description("Seconds between a site's heartbeats (default 5)")] [Range(0.0, double.MaxValue, MinimumIsExclusive = true)] public double HeartbeatInterval { get; init; } = 5;
        [CommandOption("--site-connect-timeout <SECONDS>")] [Description("Fail a running job when fewer than its min_clients sites have been connected for this many seconds (default 300)")] [Range(0.0, double.MaxValue, MinimumIsExclusive = true)] public double SiteConnectTimeout { get; init; } = 300;
        [CommandOption("--max-payload-mb <MB>")] [Description("Largest model or job accepted, in MiB (default 1024)")] [Range(1, int.MaxValue)] public long MaxPayloadMegabytes { get; init; } = 1024;
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var kit = StartupKit.Load(settings.Kit);
        using var logs = Logs.Console(settings.LogLevel);
        var options = new ServerOptions
        {
            Workspace = settings.Workspace ?? Path.Combine(kit.Folder, "workspace"),
            HeartbeatTimeout = TimeSpan.FromSeconds(settings.HeartbeatTimeout),
            HeartbeatInterval = TimeSpan.FromSeconds(settings.HeartbeatInterval),
            MaxPayloadBytes = settings.MaxPayloadMegabytes << 20,
            SiteConnectTimeout = TimeSpan.FromSeconds(settings.SiteConnectTimeout),
            ProvisionedSites = kit.Sites,
        };
        using var stop = Shutdown.OnSignal(cancellationToken);
        Run(options, kit, settings, logs, stop.Token).GetAwaiter().GetResult();
        return 0;
    }

    static async Task Run(ServerOptions options, StartupKit kit, Settings settings, ILoggerFactory logs, CancellationToken stop)
    {
        // The workspace is locked first, then the port bound, then the jobs started: a server refused
        // either leaves the workspace as it found it.
        await using var server = new FederationServer(options, logs);
        var bind = settings.Bind is null ? null : IPAddress.Parse(settings.Bind);
        await using var host = await ServerHost.StartAsync(server, kit, bind, settings.Port ?? kit.ServerPort, logs);
        server.Start($"port {host.Port}");
        logs.CreateLogger("server").LogInformation("server {Name} listening on port {Port} (workspace {Workspace})", kit.Name, host.Port, options.Workspace);
        try
        {
            await Task.Delay(Timeout.Infinite, stop);
        }
        catch (OperationCanceledException)
        {
            logs.CreateLogger("server").LogInformation("server {Name} stopping", kit.Name);
        }
    }
}
