using System.Runtime.InteropServices;

namespace FedPrompt.Cli;

/// <summary>Long-running commands (server, site) stop cleanly on Ctrl-C or SIGTERM, for as long as
/// this is not disposed (a signal registration that is collected stops handling its signal).</summary>
public sealed class Shutdown : IDisposable
{
    readonly CancellationTokenSource _stop;
    readonly PosixSignalRegistration _terminate;

    Shutdown(CancellationToken outer)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnTerminate);
        Console.CancelKeyPress += OnCancelKey;
    }

    public static Shutdown OnSignal(CancellationToken outer) => new(outer);

    /// <summary>Cancelled on the first Ctrl-C or SIGTERM.</summary>
    public CancellationToken Token => _stop.Token;

    void OnTerminate(PosixSignalContext context)
    {
        context.Cancel = true;
        _stop.Cancel();
    }

    void OnCancelKey(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        _stop.Cancel();
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKey;
        _terminate.Dispose();
        _stop.Dispose();
    }
}
