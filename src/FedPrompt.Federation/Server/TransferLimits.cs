namespace FedPrompt.Federation.Server;

/// <summary>A transfer the server will not start: the site has too many open (its own fault, not the network's).</summary>
public sealed class TransferRefusedException(string message) : Exception(message);

/// <summary>
/// What bounds payload transfers on the network, so that no site can stall the others: at most
/// <see cref="ServerOptions.MaxConcurrentTransfers"/> stream at once (the server's buffers); a site
/// has at most <see cref="ServerOptions.MaxTransfersPerSite"/> open or waiting (a site does one
/// thing at a time: a dishonest one opening streams and never sending would otherwise take every
/// slot); and a transfer with no progress for <see cref="ServerOptions.TransferIdleTimeout"/> is
/// cancelled, freeing its slot.
/// </summary>
public sealed class TransferLimits(ServerOptions options)
{
    readonly SemaphoreSlim _slots = new(options.MaxConcurrentTransfers);
    readonly Lock _gate = new();
    readonly Dictionary<string, int> _open = new(StringComparer.Ordinal);

    /// <summary>Waits for a slot; the transfer's token is cancelled with the call, when the server stops, or when it stalls.</summary>
    public async Task<Transfer> BeginAsync(string site, CancellationToken call, CancellationToken stopping)
    {
        lock (_gate)
        {
            int open = _open.GetValueOrDefault(site);
            if (open >= options.MaxTransfersPerSite)
                throw new TransferRefusedException($"{site} already has {open} transfers open or waiting (at most {options.MaxTransfersPerSite} a site)");
            _open[site] = open + 1;
        }
        var transfer = new Transfer(this, site, options.TransferIdleTimeout, call, stopping);
        try
        {
            await _slots.WaitAsync(transfer.Token).ConfigureAwait(false);
        }
        catch
        {
            transfer.Dispose(holdsSlot: false);
            throw;
        }
        return transfer;
    }

    void End(string site, bool holdsSlot)
    {
        if (holdsSlot) _slots.Release();
        lock (_gate)
        {
            if (--_open[site] == 0) _open.Remove(site);
        }
    }

    /// <summary>One open transfer: report progress (a chunk moved) to keep it from timing out.</summary>
    public sealed class Transfer : IDisposable
    {
        readonly TransferLimits _limits;
        readonly string _site;
        readonly TimeSpan _idle;
        readonly CancellationTokenSource _stalled = new();
        readonly CancellationTokenSource _any;
        bool _ended;

        internal Transfer(TransferLimits limits, string site, TimeSpan idle, CancellationToken call, CancellationToken stopping)
        {
            (_limits, _site, _idle) = (limits, site, idle);
            _any = CancellationTokenSource.CreateLinkedTokenSource(call, stopping, _stalled.Token);
            Progressed();
        }

        public CancellationToken Token => _any.Token;

        /// <summary>Whether the transfer was cancelled because it made no progress.</summary>
        public bool Stalled => _stalled.IsCancellationRequested;

        public void Progressed() => _stalled.CancelAfter(_idle);

        public void Dispose() => Dispose(holdsSlot: true);

        internal void Dispose(bool holdsSlot)
        {
            if (_ended) return;
            _ended = true;
            _limits.End(_site, holdsSlot);
            _any.Dispose();
            _stalled.Dispose();
        }
    }
}
