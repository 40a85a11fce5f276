using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using FedPrompt.Federation.Grpc;
using FedPrompt.Federation.Jobs;
using FedPrompt.Federation.Protocol;
using FedPrompt.Federation.Provisioning;
using FedPrompt.Federation.Wire;
using Grpc.Core;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FedPrompt.Cli.Commands.Federation;

/// <summary>Every admin command connects with the admin's startup kit.</summary>
public class AdminSettings : CommandSettings
{
    // Required for ArgumentCheck only: Spectre's own check of a required branch option fails when the
    // option comes before the subcommand ("admin --kit DIR list") or after it ("admin list --kit DIR").
    [CommandOption("--kit <DIR>")] [Description("The admin's startup kit. Required")] [Required] public string Kit { get; init; } = "";

    public T Call<T>(Func<Admin.AdminClient, Task<T>> call)
    {
        using var kit = StartupKit.Load(Kit);
        if (kit.Role != ParticipantRole.Admin) throw new ArgumentException($"{Kit}: a {kit.Role.ToText()} kit, not an admin's");
        using var channel = Channels.ToServer(kit);
        try
        {
            return call(new Admin.AdminClient(channel)).GetAwaiter().GetResult();
        }
        catch (RpcException e)
        {
            throw new IOException($"the server at {kit.ServerHost}:{kit.ServerPort} {(e.StatusCode == StatusCode.Unavailable ? "cannot be reached or refused this kit's certificate" : "refused")}: {e.Status.Detail}", e);
        }
    }
}

public sealed class AdminSubmitCommand : Command<AdminSubmitCommand.Settings>
{
    public sealed class Settings : AdminSettings
    {
        [CommandArgument(0, "<JOB>")] [Description("Job folder")] public string Job { get; init; } = "";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var zip = JobDefinition.Zip(settings.Job);
        var name = JobDefinition.Load(settings.Job).Meta.Name;
        var reply = settings.Call(async admin =>
        {
            using var call = admin.SubmitJob(cancellationToken: cancellationToken);
            await call.RequestStream.WriteAsync(new JobUpload { Header = new JobUploadHeader { Name = name, Payload = Payloads.Describe(zip).ToWire() } });
            foreach (var chunk in Payloads.Chunks(zip, Payloads.DefaultChunkBytes)) await call.RequestStream.WriteAsync(new JobUpload { Chunk = Google.Protobuf.ByteString.CopyFrom(chunk.Span) });
            await call.RequestStream.CompleteAsync();
            return await call.ResponseAsync;
        });
        if (!reply.Ok) throw new InvalidDataException($"the server refused the job: {reply.Message}");
        Console.Out.WriteLine(reply.JobId);
        return 0;
    }
}

/// <summary>Options of the admin commands whose output a script reads.</summary>
public class AdminOutputSettings : AdminSettings
{
    [CommandOption("--json")] [Description("Print the result as one JSON object on stdout (default: a table)")] public bool Json { get; init; }
}

public sealed class AdminListCommand : Command<AdminOutputSettings>
{
    public override int Execute(CommandContext context, AdminOutputSettings settings, CancellationToken cancellationToken)
    {
        var reply = settings.Call(admin => admin.ListJobsAsync(new ListJobsRequest(), cancellationToken: cancellationToken).ResponseAsync);
        if (settings.Json)
        {
            ScriptJson.Write(new { jobs = reply.Jobs.Select(AdminJson.Job) });
            return 0;
        }
        var table = new ResultTable("job", "status", "rounds", "best validation loss", "submitted by", "message");
        foreach (var job in reply.Jobs)
            table.Add(job.JobId, job.Status, $"{job.RoundsDone}/{job.NumRounds}",
                double.IsNaN(job.BestValidationLoss) ? "none yet" : $"{job.BestValidationLoss:F4} (round {job.BestRound})", job.SubmittedBy, job.Message);
        table.Write();
        return 0;
    }
}

public sealed class AdminAbortCommand : Command<AdminAbortCommand.Settings>
{
    public sealed class Settings : AdminSettings
    {
        [CommandArgument(0, "<JOB>")] [Description("Job id")] public string Job { get; init; } = "";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var reply = settings.Call(admin => admin.AbortJobAsync(new AbortJobRequest { JobId = settings.Job }, cancellationToken: cancellationToken).ResponseAsync);
        if (!reply.Ok) throw new InvalidDataException(reply.Message);
        Console.Out.WriteLine(reply.Message);
        return 0;
    }
}

public sealed class AdminSitesCommand : Command<AdminOutputSettings>
{
    public override int Execute(CommandContext context, AdminOutputSettings settings, CancellationToken cancellationToken)
    {
        var reply = settings.Call(admin => admin.ListSitesAsync(new ListSitesRequest(), cancellationToken: cancellationToken).ResponseAsync);
        if (settings.Json)
        {
            ScriptJson.Write(new
            {
                sites = reply.Sites.Select(s => new
                {
                    name = s.Name, alive = s.Alive, last_seen = DateTimeOffset.FromUnixTimeMilliseconds(s.LastSeenUnixMs), task_id = s.TaskId.Length > 0 ? s.TaskId : null,
                }),
            });
            return 0;
        }
        var table = new ResultTable("site", "alive", "last seen (UTC)", "task");
        foreach (var site in reply.Sites)
            table.Add(site.Name, site.Alive ? "yes" : "no", DateTimeOffset.FromUnixTimeMilliseconds(site.LastSeenUnixMs).ToString("HH:mm:ss"), site.TaskId);
        table.Write();
        return 0;
    }
}
