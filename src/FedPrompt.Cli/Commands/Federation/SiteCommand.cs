using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedPrompt.Cli.Commands.Model;
using FedPrompt.Federation.Grpc;
using FedPrompt.Federation.Provisioning;
using FedPrompt.Federation.Site;
using Microsoft.Extensions.Logging;
using Spectre.Console.Cli;

namespace FedPrompt.Cli.Commands.Federation;

/// <summary>Runs a site from its startup kit: connects out to the server and works on its jobs until stopped.</summary>
public sealed class SiteCommand : Command<SiteCommand.Settings>
{
    public sealed class Settings : ModelSettings
    {
        [CommandOption("--log-level <LEVEL>")] [Description(Logs.LevelDescription)] public LogLevel LogLevel { get; init; } = LogLevel.Information;
        [CommandOption("--kit <DIR>", isRequired: true)] [Description("The site's startup kit")] public string Kit { get; init; } = "";
        [CommandOption("--data <DIR>")] [Description("Folder the jobs' data paths are relative to (default: current folder)")] public string Data { get; init; } = ".";
        [CommandOption("--max-payload-mb <MB>")] [Description("Largest global model accepted, in MiB (default 1024)")] [Range(1, int.MaxValue)] public long MaxPayloadMegabytes { get; init; } = 1024;
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var kit = StartupKit.Load(settings.Kit);
        if (kit.Role != ParticipantRole.Site) throw new ArgumentException($"{settings.Kit}: a {kit.Role.ToText()} kit, not a site's");
        using var model = settings.LoadModel();
        using var logs = Logs.Console(settings.LogLevel);
        using var channel = Channels.ToServer(kit);
        var client = new GrpcFederationClient(new FedPrompt.Federation.Protocol.Federation.FederationClient(channel), settings.MaxPayloadMegabytes << 20);
        var log = logs.CreateLogger("site");
        var executor = new SiteExecutor(new SiteLearner(kit.Name, model, settings.Data, log), client, log);
        using var stop = Shutdown.OnSignal(cancellationToken);
        executor.RunAsync(stop.Token).GetAwaiter().GetResult();
        return 0;
    }
}
