using System.ComponentModel;
using FedPrompt.Federation.Grpc;
using FedPrompt.Federation.Protocol;
using FedPrompt.Federation.Wire;
using FedPrompt.Formats;
using Spectre.Console.Cli;

namespace FedPrompt.Cli.Commands.Federation;

/// <summary>Fetches a job's result over the admin API: the global and best encoders, metrics.jsonl and
/// state.json (the job's report: every round, who contributed, who was turned away, the best round).</summary>
public sealed class AdminDownloadCommand : Command<AdminDownloadCommand.Settings>
{
    /// <summary>Larger than any encoder; what keeps a confused server from filling the admin's memory.</summary>
    const long MaxFileBytes = 1L << 30;

    public sealed class Settings : AdminSettings
    {
        [CommandArgument(0, "<JOB>")] [Description("Job id")] public string Job { get; init; } = "";
        [CommandOption("--out <DIR>", isRequired: true)] [Description("Folder to write the files into; created if missing, refused if it holds anything (unless --overwrite)")] public string Out { get; init; } = "";
        [CommandOption("--overwrite")] [Description("Write into a folder that is not empty, replacing files of the same names (default: refuse it)")] public bool Overwrite { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (File.Exists(settings.Out)) throw new IOException($"--out {settings.Out} is a file, not a folder");
        if (!settings.Overwrite && Directory.Exists(settings.Out) && Directory.EnumerateFileSystemEntries(settings.Out).Any())
            throw new IOException($"--out {settings.Out} is not empty; give --overwrite to replace the files in it, or another folder");
        // Everything is received and checked before anything is written, so a failed download leaves no files.
        var files = settings.Call(async admin =>
        {
            using var call = admin.DownloadJob(new DownloadJobRequest { JobId = settings.Job }, cancellationToken: cancellationToken);
            var received = new List<(string Name, byte[] Bytes)>();
            PayloadReceiver? receiver = null;
            string? name = null;
            void CompleteFile()
            {
                if (receiver is null) return;
                using (receiver) received.Add((name!, ((MemoryStream)receiver.Complete()).ToArray()));
                receiver = null;
            }
            try
            {
                while (await call.ResponseStream.MoveNext(cancellationToken))
                {
                    var part = call.ResponseStream.Current;
                    if (part.PartCase == JobFileMessage.PartOneofCase.Header)
                    {
                        CompleteFile();
                        name = PlainFileName(part.Header.Name);
                        receiver = PayloadReceiver.InMemory((part.Header.Payload ?? new PayloadInfo()).FromWire(), MaxFileBytes);
                    }
                    else (receiver ?? throw new InvalidDataException("the server sent file data before naming the file")).Append(part.Chunk.Span);
                }
                CompleteFile();
            }
            catch (PayloadException e)
            {
                throw new InvalidDataException($"the download of {name} is damaged: {e.Message}");
            }
            finally
            {
                receiver?.Dispose();
            }
            return received;
        });
        foreach (var (name, bytes) in files)
        {
            var path = Path.Combine(settings.Out, name);
            AtomicFile.WriteAllBytes(path, bytes);
            Console.Out.WriteLine(path);
        }
        return 0;
    }

    /// <summary>The server names files; a name with a folder in it could write outside --out.</summary>
    static string PlainFileName(string name) =>
        name.Length > 0 && Path.GetFileName(name) == name && name is not ("." or "..") ? name : throw new InvalidDataException($"the server sent a file named \"{name}\", which is not a plain file name");
}
