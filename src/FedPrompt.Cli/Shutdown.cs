using System.Runtime.InteropServices;

namespace FedPrompt.Cli;

/// <summary>Long-running commands (server, site) stop cleanly on Ctrl-C or SIGTERM.</summary>
public static class Shutdown
{
    public static CancellationTokenSource OnSignal(CancellationToken outer)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(outer);
        var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });
        // Held by the token: a registration the garbage collector reclaims unregisters its handler, and
        // SIGTERM would then kill the process before it stops cleanly. A second SIGTERM does kill it.
        stop.Token.Register(sigterm.Dispose);
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        return stop;
    }
}
