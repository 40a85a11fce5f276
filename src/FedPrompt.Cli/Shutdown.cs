using System.Runtime.InteropServices;

namespace FedPrompt.Cli;

/// <summary>Long-running commands (server, site) stop cleanly on Ctrl-C or SIGTERM.</summary>
public static class Shutdown
{
    public static CancellationTokenSource OnSignal(CancellationToken outer)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(outer);
        PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        return stop;
    }
}
